/**
 * Remote JWKS over the wire (issue #13 items 8 and 9): a key rotation must never send users to the login page, and
 * an identity provider outage must not turn forged handshakes into fetches.
 *
 * The key set's cooldown and backoff read `Date.now()` (as jose does): the tests move it forward instead of
 * waiting out 30-second cooldowns, while real time keeps running for the sockets.
 */
import type { JWK } from 'jose';
import { createAuthClient, type AuthClientStatus, type AuthErrorCode } from '@sockauth/client';
import type { VerifierOptions } from '@sockauth/core';
import { closeAfterTest, serveJwks, type JwksServer } from '@sockauth/testing';
import { ADAPTERS } from '../support/adapters';
import { SEC_AUDIENCE, SEC_ISSUER, claimsFor, signWith } from '../support/hostile-tokens';
import { refusal, useHarness } from './harness';

const h = useHarness();

/** Moves `Date.now()` forward by `ms` from now on; real time keeps running. */
let offsetMs = 0;
let dateNow: jest.SpyInstance | undefined;
function advanceClock(ms: number): void {
  offsetMs += ms;
}
beforeEach(() => {
  offsetMs = 0;
  const realNow = Date.now.bind(Date);
  dateNow = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
});
afterEach(() => dateNow?.mockRestore());

describe.each(ADAPTERS)('%s: remote JWKS rotation and outages', (_name, start) => {
  /** What the identity provider publishes; `undefined` while it is down (503). */
  let published: JWK[] | undefined;

  async function identityProvider(keys: JWK[]): Promise<JwksServer> {
    published = keys;
    const server = await serveJwks(() => {
      if (published === undefined) throw new Error('outage');
      return { keys: published };
    });
    closeAfterTest(() => server.close());
    return server;
  }

  function remoteVerifier(url: string, jwksOptions: VerifierOptions['jwksOptions'] = {}): VerifierOptions {
    return { algorithms: ['RS256', 'ES256'], jwksUri: url, jwksOptions, issuer: SEC_ISSUER, audience: SEC_AUDIENCE };
  }

  /** The issuer's current key (`rs-1`) and the one it rotates to (`ec-1`). */
  const current = (): JWK => h.keys.jwks.keys[0]!;
  const next = (): JWK => h.keys.jwks.keys[1]!;

  async function currentKeyToken(sub: string): Promise<string> {
    return h.secret(await signWith(h.keys.rsa.privateKey, 'RS256', claimsFor(sub), { kid: 'rs-1' }));
  }
  async function nextKeyToken(sub: string): Promise<string> {
    return h.secret(await signWith(h.keys.ec.privateKey, 'ES256', claimsFor(sub), { kid: 'ec-1' }));
  }
  async function forgedToken(kid: string): Promise<string> {
    return h.secret(await signWith(h.keys.attackerRsa.privateKey, 'RS256', claimsFor('mallory', { scope: 'chat:admin' }), { kid }));
  }

  /** A handshake that fetches the key set, then goes away. */
  async function primeKeySet(url: string): Promise<void> {
    const socket = await h.connect(url, { auth: { token: await currentKeyToken('alice') } });
    socket.disconnect();
  }

  test('a key published 1 s after a fetch: AUTH_UNAVAILABLE (retry), never AUTH_INVALID, then accepted once the cooldown allows a refetch', async () => {
    const jwks = await identityProvider([current()]);
    const server = await h.start(start, { auth: { verifier: remoteVerifier(jwks.url, { cooldownMs: 30_000 }) } });
    await primeKeySet(server.url);
    expect(jwks.requests).toBe(1);

    advanceClock(1_000);
    published = [current(), next()];
    const token = await nextKeyToken('bob');
    for (let i = 0; i < 3; i++) {
      expect((await h.refused(server.url, { auth: { token } })).data).toEqual(refusal('AUTH_UNAVAILABLE'));
    }
    expect(jwks.requests).toBe(1);

    advanceClock(29_000);
    const socket = await h.connect(server.url, { auth: { token } });
    expect(socket.connected).toBe(true);
    expect(jwks.requests).toBe(2);
    expect(server.sockAuth.size).toBe(1);
  });

  test('@sockauth/client retries through the cooldown and gets in: the user never sees the login page', async () => {
    const jwks = await identityProvider([current()]);
    const server = await h.start(start, { auth: { verifier: remoteVerifier(jwks.url, { cooldownMs: 30_000 }) } });
    await primeKeySet(server.url);
    published = [current(), next()];
    const token = await nextKeyToken('bob');

    const seen: Array<AuthErrorCode | undefined> = [];
    const client = createAuthClient({
      url: server.url,
      io: { transports: ['websocket'] },
      getToken: () => token,
      refresh: () => Promise.reject(new Error('no refresh in this test')),
      backoff: { baseMs: 20, capMs: 50, maxAttempts: 20 },
    });
    closeAfterTest(() => client.close());
    const outcome = await new Promise<AuthClientStatus>((resolve) => {
      client.subscribe((status) => {
        if (status.error !== undefined && seen[seen.length - 1] !== status.error.code) {
          seen.push(status.error.code);
          // The first refusal: let the cooldown run out, as it would while the client backs off.
          if (seen.length === 1) advanceClock(30_000);
        }
        if (status.state === 'authenticated' || status.state === 'unauthenticated' || status.state === 'disconnected') resolve(status);
      });
      client.connect();
    });
    expect(outcome.state).toBe('authenticated');
    expect(seen).toEqual(['AUTH_UNAVAILABLE']);
    expect(jwks.requests).toBe(2);
  });

  test('identity provider down with a stale key set: 20 forged handshakes draw one fetch, known keys keep working', async () => {
    const jwks = await identityProvider([current(), next()]);
    const server = await h.start(start, {
      auth: { verifier: remoteVerifier(jwks.url, { cooldownMs: 30_000, cacheMaxAgeMs: 60_000 }) },
    });
    await primeKeySet(server.url);
    published = undefined;
    advanceClock(60_000);

    for (let i = 0; i < 20; i++) {
      const error = await h.refused(server.url, { auth: { token: await forgedToken(`forged-${i}`) } });
      expect(error.data).toEqual(refusal('AUTH_UNAVAILABLE'));
    }
    expect(jwks.requests).toBe(2);
    // The stale set still holds the issuer's keys: its users are not refused because the endpoint is down.
    await h.connect(server.url, { auth: { token: await currentKeyToken('carol') } });
    await h.connect(server.url, { auth: { token: await nextKeyToken('dave') } });
    expect(jwks.requests).toBe(2);

    // One cooldown later, one more fetch (failing again), however many forgeries.
    advanceClock(30_000);
    for (let i = 0; i < 20; i++) {
      expect((await h.refused(server.url, { auth: { token: await forgedToken(`again-${i}`) } })).data).toEqual(refusal('AUTH_UNAVAILABLE'));
    }
    expect(jwks.requests).toBe(3);
    expect(server.runs).toEqual([]);
  });

  test('identity provider down from the start: 20 handshakes draw one fetch, each AUTH_UNAVAILABLE', async () => {
    const jwks = await identityProvider([]);
    published = undefined;
    const server = await h.start(start, { auth: { verifier: remoteVerifier(jwks.url, { cooldownMs: 30_000 }) } });
    for (let i = 0; i < 20; i++) {
      const token = i % 2 === 0 ? await forgedToken(`forged-${i}`) : await currentKeyToken('alice');
      expect((await h.refused(server.url, { auth: { token } })).data).toEqual(refusal('AUTH_UNAVAILABLE'));
    }
    expect(jwks.requests).toBe(1);
    expect(server.connections).toEqual([]);
  });
});
