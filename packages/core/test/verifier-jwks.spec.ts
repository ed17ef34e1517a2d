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
    // jose's cooldown reads Date.now(); drive it explicitly instead of sleeping.
    let clock = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => clock);
    const cooldownMs = 1_000;
    const k1 = await signingKey('k1');
    const k2 = await signingKey('k2');
    const server = await startJwksServer(serveKeys(k1));
    const verifier = remoteVerifier(server.url, { cooldownMs });

    await verifier.verify(await tokenFor(k1));
    expect(server.fetches).toBe(1);

    // The issuer rotates: it now serves k2 as well. A token naming k2 triggers one refetch and verifies.
    server.handler = serveKeys(k1, k2);
    clock += cooldownMs + 1;
    const { header } = await verifier.verify(await tokenFor(k2));
    expect(header.kid).toBe('k2');
    expect(server.fetches).toBe(2);

    // Unknown kids right after that refetch are answered from the cache: no more requests.
    for (let i = 0; i < 5; i++) {
      expect((await failure(verifier, await tokenFor(k2, `unknown-${i}`))).code).toBe('AUTH_INVALID');
    }
    expect(server.fetches).toBe(2);

    // Once the cooldown has passed, an unknown kid may cause one refetch, and only one.
    clock += cooldownMs + 1;
    for (let i = 0; i < 5; i++) {
      expect((await failure(verifier, await tokenFor(k2, `unknown-${i}`))).code).toBe('AUTH_INVALID');
    }
    expect(server.fetches).toBe(3);

    // Known keys keep verifying throughout.
    await verifier.verify(await tokenFor(k1));
    expect(server.fetches).toBe(3);
  });

  it('refetches when the cached key set is older than cacheMaxAgeMs', async () => {
    let clock = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => clock);
    const key = await signingKey('k1');
    const server = await startJwksServer(serveKeys(key));
    const verifier = remoteVerifier(server.url, { cacheMaxAgeMs: 5_000 });
    await verifier.verify(await tokenFor(key));
    clock += 5_001;
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
