import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { createVerifier, isAuthError } from '../src/index.js';
import type { AuthError, RemoteJwksOptions, Verifier } from '../src/index.js';
import { NOW_MS, claims, rejectionOf, sign } from './support.js';

interface SigningKey {
  readonly kid: string;
  readonly jwk: JWK;
  readonly privateKey: CryptoKey;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }, privateKey };
}

function tokenFor(key: SigningKey, kid = key.kid): Promise<string> {
  return sign(claims(), { header: { alg: 'ES256', kid }, key: key.privateKey });
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A JWKS endpoint on 127.0.0.1, port 0, whose behaviour a test can change, counting requests. */
interface JwksServer {
  readonly url: string;
  fetches: number;
  handler: Handler;
  close(): Promise<void>;
}

const servers: Server[] = [];

async function startJwksServer(handler: Handler): Promise<JwksServer> {
  const state = { fetches: 0, handler };
  const server = createServer((req, res) => {
    state.fetches++;
    state.handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return state.fetches;
    },
    set fetches(value: number) {
      state.fetches = value;
    },
    get handler() {
      return state.handler;
    },
    set handler(value: Handler) {
      state.handler = value;
    },
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function serveKeys(...keys: SigningKey[]): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  };
}

function remoteVerifier(url: string, jwksOptions: RemoteJwksOptions = {}): Verifier {
  return createVerifier({ algorithms: ['ES256'], jwksUri: url, jwksOptions, now: () => NOW_MS });
}

async function failure(verifier: Verifier, token: string): Promise<AuthError> {
  const error = await rejectionOf(verifier.verify(token));
  if (!isAuthError(error)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error;
}

/**
 * Drives `Date.now()`, which the key set's cooldown and backoff read (like jose), instead of sleeping. The
 * verifier's own clock (token claims) stays at NOW_MS.
 */
function driveDateNow(): { advance(ms: number): void; set(ms: number): void } {
  let clock = Date.now();
  jest.spyOn(Date, 'now').mockImplementation(() => clock);
  return {
    advance: (ms) => void (clock += ms),
    set: (ms) => void (clock = ms),
  };
}

function answer(status: number, body = ''): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };
}

/** A verifier that fetched k1 once. */
async function fetchedOnce(jwksOptions: RemoteJwksOptions) {
  const clock = driveDateNow();
  const key = await signingKey('k1');
  const server = await startJwksServer(serveKeys(key));
  const verifier = remoteVerifier(server.url, jwksOptions);
  await verifier.verify(await tokenFor(key));
  return { clock, key, server, verifier };
}

/** An issuer that served k1 to a verifier (one fetch), then published k2 beside it. */
async function afterRotation(cooldownMs: number) {
  const clock = driveDateNow();
  const k1 = await signingKey('k1');
  const k2 = await signingKey('k2');
  const server = await startJwksServer(serveKeys(k1));
  const verifier = remoteVerifier(server.url, { cooldownMs });
  await verifier.verify(await tokenFor(k1));
  expect(server.fetches).toBe(1);
  server.handler = serveKeys(k1, k2);
  return { clock, k1, k2, server, verifier };
}

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(servers.splice(0).map(closeServer));
});

describe('remote JWKS', () => {
  it('verifies a token with a key fetched from jwksUri and caches the key set', async () => {
    const key = await signingKey('k1');
    const server = await startJwksServer(serveKeys(key));
    const verifier = remoteVerifier(server.url);
    const { payload, header } = await verifier.verify(await tokenFor(key));
    expect(payload.sub).toBe('alice');
    expect(header.kid).toBe('k1');
    await verifier.verify(await tokenFor(key));
    expect(server.fetches).toBe(1);
  });

  it('sends the configured headers', async () => {
    const key = await signingKey('k1');
    const seen: Array<string | undefined> = [];
    const server = await startJwksServer((req, res) => {
      seen.push(req.headers['x-api-key'] as string | undefined);
      serveKeys(key)(req, res);
    });
    await remoteVerifier(server.url, { headers: { 'x-api-key': 'k-123' } }).verify(await tokenFor(key));
    expect(seen).toEqual(['k-123']);
  });

  it('refetches once for a rotated key, and at most once per cooldown for unknown kids', async () => {
    const cooldownMs = 1_000;
    // The issuer rotates: it now serves k2 as well. A token naming k2 triggers one refetch and verifies.
    const { clock, k1, k2, server, verifier } = await afterRotation(cooldownMs);
    clock.advance(cooldownMs + 1);
    const { header } = await verifier.verify(await tokenFor(k2));
    expect(header.kid).toBe('k2');
    expect(server.fetches).toBe(2);

    // Unknown kids right after that refetch cause no request: the key may have been published since, so nothing is
    // decided (AUTH_UNAVAILABLE, retry), never AUTH_INVALID.
    for (let i = 0; i < 5; i++) {
      const error = await failure(verifier, await tokenFor(k2, `unknown-${i}`));
      expect([error.code, error.action]).toEqual(['AUTH_UNAVAILABLE', 'retry']);
    }
    expect(server.fetches).toBe(2);

    // Once the cooldown has passed, an unknown kid causes one refetch, and only one: the token that caused it is
    // refused AUTH_INVALID (a set fetched after it arrived lacks its key), the next ones AUTH_UNAVAILABLE again.
    clock.advance(cooldownMs + 1);
    expect((await failure(verifier, await tokenFor(k2, 'unknown-0'))).code).toBe('AUTH_INVALID');
    for (let i = 1; i < 5; i++) {
      expect((await failure(verifier, await tokenFor(k2, `unknown-${i}`))).code).toBe('AUTH_UNAVAILABLE');
    }
    expect(server.fetches).toBe(3);

    // Known keys keep verifying throughout.
    await verifier.verify(await tokenFor(k1));
    expect(server.fetches).toBe(3);
  });

  it('refetches when the cached key set is older than cacheMaxAgeMs', async () => {
    const { clock, key, server, verifier } = await fetchedOnce({ cooldownMs: 1_000, cacheMaxAgeMs: 5_000 });
    clock.advance(5_001);
    await verifier.verify(await tokenFor(key));
    expect(server.fetches).toBe(2);
  });

  it('answers AUTH_UNAVAILABLE, never AUTH_INVALID, when the JWKS server is down', async () => {
    const key = await signingKey('k1');
    const server = await startJwksServer(serveKeys(key));
    const { url } = server;
    await server.close();
    const error = await failure(remoteVerifier(url), await tokenFor(key));
    expect(error.code).toBe('AUTH_UNAVAILABLE');
    expect(error.action).toBe('retry');
  });

  it('answers AUTH_UNAVAILABLE when the JWKS endpoint answers 500', async () => {
    const key = await signingKey('k1');
    const server = await startJwksServer((_req, res) => {
      res.writeHead(500);
      res.end('oops');
    });
    expect((await failure(remoteVerifier(server.url), await tokenFor(key))).code).toBe('AUTH_UNAVAILABLE');
  });

  it('answers AUTH_UNAVAILABLE when the JWKS endpoint answers invalid JSON', async () => {
    const key = await signingKey('k1');
    const server = await startJwksServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"keys": [');
    });
    expect((await failure(remoteVerifier(server.url), await tokenFor(key))).code).toBe('AUTH_UNAVAILABLE');
  });

  it('answers AUTH_UNAVAILABLE when the JWKS endpoint answers JSON that is not a key set', async () => {
    const key = await signingKey('k1');
    const server = await startJwksServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"hello":"world"}');
    });
    expect((await failure(remoteVerifier(server.url), await tokenFor(key))).code).toBe('AUTH_UNAVAILABLE');
  });

  it('answers AUTH_UNAVAILABLE when the JWKS endpoint never answers within timeoutMs', async () => {
    const key = await signingKey('k1');
    let markRequested!: () => void;
    const requested = new Promise<void>((resolve) => {
      markRequested = resolve;
    });
    // Never answers; afterEach closes the hanging connection.
    const server = await startJwksServer(() => markRequested());
    const error = await failure(remoteVerifier(server.url, { timeoutMs: 100 }), await tokenFor(key));
    await requested;
    expect(error.code).toBe('AUTH_UNAVAILABLE');
    expect(error.cause?.code).toBe('ERR_JWKS_TIMEOUT');
    expect(server.fetches).toBe(1);
  });

  it('recovers once the JWKS server answers again', async () => {
    const key = await signingKey('k1');
    const server = await startJwksServer((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const verifier = remoteVerifier(server.url, { cooldownMs: 0 });
    expect((await failure(verifier, await tokenFor(key))).code).toBe('AUTH_UNAVAILABLE');
    server.handler = serveKeys(key);
    await expect(verifier.verify(await tokenFor(key))).resolves.toBeDefined();
  });

  it('refuses a token signed by a key the JWKS does not hold as AUTH_INVALID', async () => {
    const served = await signingKey('k1');
    const forger = await signingKey('k1');
    const server = await startJwksServer(serveKeys(served));
    expect((await failure(remoteVerifier(server.url), await tokenFor(forger))).code).toBe('AUTH_INVALID');
  });
});

describe('remote JWKS: key rotation (a key published after the last fetch)', () => {
  it('answers AUTH_UNAVAILABLE (retry), never AUTH_INVALID, until the cooldown allows a refetch, then verifies', async () => {
    // One second after the fetch, the issuer publishes k2 and signs with it.
    const { clock, k2, server, verifier } = await afterRotation(30_000);
    clock.advance(1_000);
    const fresh = await tokenFor(k2);
    for (let i = 0; i < 3; i++) {
      const error = await failure(verifier, fresh);
      expect([error.code, error.action]).toEqual(['AUTH_UNAVAILABLE', 'retry']);
      expect(error.cause?.code).toBe('ERR_JWKS_NO_MATCHING_KEY');
      clock.advance(9_000);
    }
    expect(server.fetches).toBe(1);
    // 28 s after the fetch: still held back. At 30 s, the retry refetches and gets in.
    expect((await failure(verifier, fresh)).code).toBe('AUTH_UNAVAILABLE');
    clock.advance(2_000);
    await expect(verifier.verify(fresh)).resolves.toMatchObject({ header: { kid: 'k2' } });
    expect(server.fetches).toBe(2);
  });

  it('concurrent tokens of the new key share one refetch', async () => {
    const { clock, k2, server, verifier } = await afterRotation(1_000);
    clock.advance(1_000);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => tokenFor(k2)));
    await Promise.all(tokens.map((token) => verifier.verify(token)));
    expect(server.fetches).toBe(2);
  });

  it('a forged kid cannot keep users of a new key out: the refetch it causes brings the new key', async () => {
    const { clock, k1, k2, server, verifier } = await afterRotation(1_000);
    clock.advance(1_000);
    // The attacker spends the refetch; the user of k2 then gets in without one.
    expect((await failure(verifier, await tokenFor(k1, 'forged'))).code).toBe('AUTH_INVALID');
    await expect(verifier.verify(await tokenFor(k2))).resolves.toBeDefined();
    expect(server.fetches).toBe(2);
  });

  it('a clock set back does not hold refetches back', async () => {
    const { clock, k2, server, verifier } = await afterRotation(60_000);
    clock.advance(-3_600_000);
    await expect(verifier.verify(await tokenFor(k2))).resolves.toBeDefined();
    expect(server.fetches).toBe(2);
  });
});

describe('remote JWKS: failed fetches back off', () => {
  it('endpoint down with no key set: one fetch per backoff step, however many handshakes, each AUTH_UNAVAILABLE', async () => {
    const clock = driveDateNow();
    const key = await signingKey('k1');
    const server = await startJwksServer(answer(503));
    const verifier = remoteVerifier(server.url, { cooldownMs: 1_000, maxBackoffMs: 4_000 });
    const token = await tokenFor(key);
    const attempt = async () => {
      for (let i = 0; i < 20; i++) {
        const error = await failure(verifier, await tokenFor(key, `forged-${i}`));
        expect([error.code, error.action]).toEqual(['AUTH_UNAVAILABLE', 'retry']);
      }
      expect((await failure(verifier, token)).code).toBe('AUTH_UNAVAILABLE');
    };
    await attempt();
    expect(server.fetches).toBe(1);
    // The waits double from the cooldown up to maxBackoffMs: 1 s, 2 s, 4 s, 4 s.
    const steps: number[] = [];
    for (const wait of [999, 1, 1_999, 1, 3_999, 1, 3_999, 1]) {
      clock.advance(wait);
      await attempt();
      steps.push(server.fetches);
    }
    expect(steps).toEqual([1, 2, 2, 3, 3, 4, 4, 5]);

    // Back up: the next allowed fetch succeeds and the backoff is over.
    server.handler = serveKeys(key);
    clock.advance(4_000);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(server.fetches).toBe(6);
  });

  it('concurrent handshakes share one in-flight fetch, and its failure', async () => {
    const key = await signingKey('k1');
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => tokenFor(key, `forged-${i}`)));
    let requested!: () => void;
    const arrived = new Promise<void>((resolve) => (requested = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const server = await startJwksServer((req, res) => {
      requested();
      void released.then(() => answer(500)(req, res));
    });
    const verifier = remoteVerifier(server.url, { cooldownMs: 60_000 });
    const pending = tokens.map((token) => failure(verifier, token));
    await arrived;
    release();
    const errors = await Promise.all(pending);
    expect(errors.map((e) => e.code)).toEqual(Array(20).fill('AUTH_UNAVAILABLE'));
    expect(server.fetches).toBe(1);
  });

  it('endpoint down with a stale key set: known kids keep verifying, unknown kids AUTH_UNAVAILABLE, one fetch per backoff', async () => {
    const { clock, key, server, verifier } = await fetchedOnce({ cooldownMs: 1_000, cacheMaxAgeMs: 5_000 });
    server.handler = answer(200, '{"keys": ['); // broken JSON
    clock.advance(5_000);
    for (let i = 0; i < 20; i++) {
      expect((await failure(verifier, await tokenFor(key, `forged-${i}`))).code).toBe('AUTH_UNAVAILABLE');
      await expect(verifier.verify(await tokenFor(key))).resolves.toBeDefined();
    }
    expect(server.fetches).toBe(2);
    clock.advance(1_000);
    await expect(verifier.verify(await tokenFor(key))).resolves.toBeDefined();
    expect(server.fetches).toBe(3);
  });

  it('times out a hanging endpoint, then backs off', async () => {
    const key = await signingKey('k1');
    const server = await startJwksServer(() => undefined); // never answers; afterEach closes the connection
    const verifier = remoteVerifier(server.url, { timeoutMs: 50 });
    for (let i = 0; i < 5; i++) {
      const error = await failure(verifier, await tokenFor(key));
      expect(error.code).toBe('AUTH_UNAVAILABLE');
      expect(error.cause?.code).toBe('ERR_JWKS_TIMEOUT');
    }
    expect(server.fetches).toBe(1);
  });
});

describe('remote JWKS options', () => {
  it.each([
    ['an unknown option', { coolDownMs: 1 }],
    ['a negative cooldownMs', { cooldownMs: -1 }],
    ['a cooldownMs above a day', { cooldownMs: 86_400_001 }],
    ['cooldownMs NaN', { cooldownMs: Number.NaN }],
    ['cacheMaxAgeMs below cooldownMs', { cooldownMs: 10_000, cacheMaxAgeMs: 5_000 }],
    ['cacheMaxAgeMs below the default cooldownMs', { cacheMaxAgeMs: 5_000 }],
    ['maxBackoffMs below cooldownMs', { cooldownMs: 10_000, maxBackoffMs: 5_000 }],
    ['a fractional timeoutMs', { timeoutMs: 1.5 }],
    ['a zero timeoutMs', { timeoutMs: 0 }],
    ['headers that are not strings', { headers: { 'x-api-key': 1 } }],
    ['headers as an array', { headers: ['x-api-key'] }],
    ['jwksOptions that are not an object', 'fast'],
  ])('refuses %s with a TypeError at creation', (_what, jwksOptions) => {
    expect(() =>
      createVerifier({ algorithms: ['ES256'], jwksUri: 'https://example.test/jwks', jwksOptions: jwksOptions as RemoteJwksOptions }),
    ).toThrow(TypeError);
  });

  it('accepts a cooldown above the defaults of the other bounds (they follow it)', () => {
    expect(() =>
      createVerifier({ algorithms: ['ES256'], jwksUri: 'https://example.test/jwks', jwksOptions: { cooldownMs: 3_600_000 } }),
    ).not.toThrow();
  });
});
