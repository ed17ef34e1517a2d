/**
 * Attacks on the verifier's verified-token cache (a reconnect with a token verified before skips the signature
 * check). Over the wire, against both adapters: a cached token past `exp`, before `nbf` (clock set back), revoked
 * after it was cached, one character away from a cached one, presented to a server with another secret or
 * audience, and the cache switched off. At the verifier: every one-character variant of a cached token is judged
 * in full, the size bound holds (results of evicted tokens are collectable), and a remote JWKS that drops a key
 * stops honouring cached tokens of that key on the refetch that notices it, within `cacheMaxAgeMs` at the latest.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { createVerifier, isAuthError, type AuthErrorCode, type Verifier } from '@sockauth/core';
import { ADAPTERS, type AdapterServer } from '../support/adapters';
import { collectGarbage } from '../support/gc';
import { SEC_AUDIENCE, SEC_ISSUER, claimsFor, hsVerifier, nowSec, signHs, signWith } from '../support/hostile-tokens';
import { refusal, useHarness } from './harness';

const h = useHarness();

/** The claims object the server's context holds for its `index`-th connection. */
function claimsOf(server: AdapterServer, index: number): object {
  const context = server.connections[index]?.context;
  if (context === undefined) throw new Error(`no connection #${index}`);
  return context.claims;
}

/** `token` with the character at `index` replaced by another base64url character. */
function withCharAt(token: string, index: number): string {
  const replacement = token[index] === 'A' ? 'B' : 'A';
  return `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
}

async function codeOf(verifier: Verifier, token: string): Promise<AuthErrorCode | 'accepted'> {
  try {
    await verifier.verify(token);
    return 'accepted';
  } catch (error) {
    if (!isAuthError(error)) throw error;
    return error.code;
  }
}

describe.each(ADAPTERS)('%s: reconnects served from the verified-token cache', (_name, start) => {
  test('a reconnect with the same token shares the first one\'s frozen claims; revoked meanwhile → AUTH_REVOKED', async () => {
    const server = await h.start(start);
    const token = h.secret(await signHs(h.keys, claimsFor('alice', { jti: 'cache-1', scope: 'chat:write' })));
    const first = await h.connect(server.url, { auth: { token } });
    first.disconnect();
    const second = await h.connect(server.url, { auth: { token } });
    // The cache was used (one verification shared) and what is shared cannot be changed by anyone.
    expect(claimsOf(server, 1)).toBe(claimsOf(server, 0));
    expect(Object.isFrozen(claimsOf(server, 0))).toBe(true);
    await expect(h.ack(second, 'chat:send', {})).resolves.toMatchObject({ ok: true });

    await server.sockAuth.revoke({ tokenId: 'cache-1' });
    const error = await h.refused(server.url, { auth: { token } });
    expect(error.data).toEqual(refusal('AUTH_REVOKED'));
    expect(server.connections).toHaveLength(2);
  });

  test('a cached token past exp + skew → AUTH_EXPIRED on reconnect', async () => {
    let clock = nowSec() * 1000;
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { now: () => clock }) } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice', {}, clock / 1000)));
    (await h.connect(server.url, { auth: { token } })).disconnect();
    (await h.connect(server.url, { auth: { token } })).disconnect();
    expect(claimsOf(server, 1)).toBe(claimsOf(server, 0));
    clock += 305_000; // exp is 300 s after iat, skew 5 s
    const error = await h.refused(server.url, { auth: { token } });
    expect(error.data).toEqual(refusal('AUTH_EXPIRED'));
    expect(server.connections).toHaveLength(2);
    expect(server.runs).toEqual([]);
  });

  test('a cached token whose nbf is ahead of a clock set back → AUTH_NOT_YET_VALID, never served from the cache', async () => {
    const T = nowSec();
    let clock = T * 1000;
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { now: () => clock }) } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice', { nbf: T }, T)));
    (await h.connect(server.url, { auth: { token } })).disconnect();
    clock -= 6_000; // nbf is now 6 s ahead, beyond the 5 s skew
    const error = await h.refused(server.url, { auth: { token } });
    expect(error.data).toEqual(refusal('AUTH_NOT_YET_VALID'));
    expect(server.connections).toHaveLength(1);
  });

  test('a token one character away from a cached one (header, payload or signature) → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const token = h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:read' })));
    (await h.connect(server.url, { auth: { token } })).disconnect();
    const [header, payload] = token.split('.') as [string, string];
    for (const index of [5, header.length + 10, header.length + payload.length + 5]) {
      const forged = h.secret(withCharAt(token, index));
      const error = await h.refused(server.url, { auth: { token: forged } });
      expect(error.data).toEqual(refusal('AUTH_INVALID'));
    }
    expect(server.connections).toHaveLength(1);
    expect(server.runs).toEqual([]);
  });

  test.each([
    ['another secret', { secret: 'another-server-secret-0123456789abcdef' }],
    ['another audience', { audience: 'another-audience' }],
    ['another issuer', { issuer: 'https://another-idp.test' }],
  ])('a token cached by one server is refused by a server with %s', async (_what, overrides) => {
    const first = await h.start(start);
    const other = await h.start(start, { auth: { verifier: hsVerifier(h.keys, overrides) } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice')));
    (await h.connect(first.url, { auth: { token } })).disconnect();
    (await h.connect(first.url, { auth: { token } })).disconnect();
    expect(claimsOf(first, 1)).toBe(claimsOf(first, 0));
    const error = await h.refused(other.url, { auth: { token } });
    expect(error.data).toEqual(refusal('AUTH_INVALID'));
    expect(other.connections).toEqual([]);
  });

  test('cache: false: every reconnect is verified in full, and expiry is still enforced', async () => {
    let clock = nowSec() * 1000;
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { now: () => clock, cache: false }) } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice', {}, clock / 1000)));
    (await h.connect(server.url, { auth: { token } })).disconnect();
    (await h.connect(server.url, { auth: { token } })).disconnect();
    expect(claimsOf(server, 1)).not.toBe(claimsOf(server, 0));
    expect(claimsOf(server, 1)).toEqual(claimsOf(server, 0));
    clock += 305_000;
    const error = await h.refused(server.url, { auth: { token } });
    expect(error.data).toEqual(refusal('AUTH_EXPIRED'));
  });
});

describe('the verified-token cache at the verifier', () => {
  test('every one-character variant of a cached token gets exactly the answer of a verifier without cache', async () => {
    const cached = createVerifier(hsVerifier(h.keys));
    const uncached = createVerifier(hsVerifier(h.keys, { cache: false }));
    const token = h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:read' })));
    const genuine = await cached.verify(token);
    expect(await cached.verify(token)).toBe(genuine);
    let accepted = 0;
    for (let index = 0; index < token.length; index++) {
      const variant = withCharAt(token, index);
      const code = await codeOf(uncached, variant);
      expect(`${index}: ${await codeOf(cached, variant)}`).toBe(`${index}: ${code}`);
      if (code === 'accepted') {
        // Only a different spelling of the same signature bytes (base64url's spare low bits) can verify, and it
        // was verified in full: it is not the cached result.
        accepted++;
        expect(index).toBe(token.length - 1);
        expect(await cached.verify(variant)).not.toBe(genuine);
      }
    }
    expect(accepted).toBeLessThanOrEqual(1);
  });

  test('never holds more than maxEntries verifications: the results of evicted tokens are garbage', async () => {
    const verifier = createVerifier(hsVerifier(h.keys, { cache: { maxEntries: 50 } }));
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 400; i++) {
      const token = h.secret(await signHs(h.keys, claimsFor(`user-${i}`)));
      refs.push(new WeakRef((await verifier.verify(token)).payload));
    }
    await collectGarbage();
    const alive = refs.filter((ref) => ref.deref() !== undefined).length;
    expect(alive).toBeLessThanOrEqual(50);
    // The youngest are the ones kept.
    expect(refs.slice(-50).every((ref) => ref.deref() !== undefined)).toBe(true);
  });

  describe('remote JWKS rotation', () => {
    interface SigningKey {
      readonly kid: string;
      readonly jwk: JWK;
      readonly privateKey: CryptoKey;
    }
    const servers: Server[] = [];
    let served: SigningKey[] = [];
    let fetches = 0;
    let clock = 0;
    let dateNow: jest.SpyInstance | undefined;

    async function signingKey(kid: string): Promise<SigningKey> {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      return { kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }, privateKey };
    }

    async function jwksUrl(): Promise<string> {
      const server = createServer((_req, res) => {
        fetches++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: served.map((k) => k.jwk) }));
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    }

    function remoteVerifier(url: string, cacheMaxAgeMs = 60_000): Verifier {
      return createVerifier({
        algorithms: ['ES256'],
        jwksUri: url,
        jwksOptions: { cooldownMs: 0, cacheMaxAgeMs },
        issuer: SEC_ISSUER,
        audience: SEC_AUDIENCE,
        now: () => clock,
      });
    }

    function tokenOf(key: SigningKey, sub = 'alice'): Promise<string> {
      return signWith(key.privateKey, 'ES256', claimsFor(sub, {}, Math.floor(clock / 1000)), { kid: key.kid }).then((t) => h.secret(t));
    }

    /** Verifies `token` until it is served from the cache (the first verification after a key set change is not kept). */
    async function cache(verifier: Verifier, token: string): Promise<void> {
      const first = await verifier.verify(token);
      const second = await verifier.verify(token);
      const third = await verifier.verify(token);
      expect(third).toBe(second);
      expect(second).toEqual(first);
    }

    beforeEach(() => {
      // jose's key set freshness reads Date.now(): driven explicitly, with the verifier's clock.
      clock = nowSec() * 1000;
      dateNow = jest.spyOn(Date, 'now').mockImplementation(() => clock);
      fetches = 0;
    });
    afterEach(async () => {
      dateNow?.mockRestore();
      await Promise.all(
        servers.splice(0).map((server) => new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        })),
      );
    });

    test('a refetch that drops a key (prompted by a token of the new key) stops cached tokens of the old key at once', async () => {
      const k1 = await signingKey('k1');
      const k2 = await signingKey('k2');
      served = [k1];
      const verifier = remoteVerifier(await jwksUrl());
      const old = await tokenOf(k1);
      await cache(verifier, old);
      expect(fetches).toBe(1);

      served = [k2]; // the issuer rotates k1 out
      await expect(verifier.verify(await tokenOf(k2, 'bob'))).resolves.toBeDefined();
      expect(fetches).toBe(2);
      expect(await codeOf(verifier, old)).toBe('AUTH_INVALID');
    });

    test('with no other traffic, a cached token of a dropped key is refused once the key set is older than cacheMaxAgeMs', async () => {
      const k1 = await signingKey('k1');
      const k2 = await signingKey('k2');
      served = [k1];
      const verifier = remoteVerifier(await jwksUrl(), 30_000);
      const old = await tokenOf(k1);
      await cache(verifier, old);
      served = [k2];
      // Within the key set's lifetime the old key is still trusted, cached or not (the documented bound).
      clock += 29_000;
      await expect(verifier.verify(old)).resolves.toBeDefined();
      await expect(verifier.verify(await tokenOf(k1, 'carol'))).resolves.toBeDefined();
      expect(fetches).toBe(1);
      clock += 1_001;
      expect(await codeOf(verifier, old)).toBe('AUTH_INVALID');
      expect(fetches).toBeGreaterThanOrEqual(2);
    });

    test('a refetch that brings the same keys keeps the cache', async () => {
      const k1 = await signingKey('k1');
      served = [k1];
      const verifier = remoteVerifier(await jwksUrl(), 30_000);
      const token = await tokenOf(k1);
      await cache(verifier, token);
      const result = await verifier.verify(token);
      clock += 30_001;
      await expect(verifier.verify(await tokenOf(k1, 'dave'))).resolves.toBeDefined(); // refetches: stale
      expect(fetches).toBe(2);
      expect(await verifier.verify(token)).toBe(result);
    });
  });
});
