/**
 * The re-auth and revocation rules core decides for every adapter: revocations arriving while a lookup is in
 * flight, re-auth with a token of the same `iat`, the issuer's clock skew in subject revocations, and a store
 * retention that must cover the tokens the verifier accepts.
 */
import type { JWTPayload } from 'jose';
import {
  ConnectionAuth,
  MemoryRevocationStore,
  authenticateToken,
  createVerifier,
  isAuthError,
  outlivesRetention,
  revokeTarget,
} from '../src/index.js';
import type { AuthErrorCode, ConnectionAuthOptions, Verifier } from '../src/index.js';
import { laggingStore as lagging_ } from './lagging-store.js';
import { NOW_MS, NOW_SEC, SECRET, claims, rejectionOf, sign } from './support.js';

/** The shared lagging store, on this file's clock. */
function laggingStore() {
  const { store, holdNextLookup, listeners } = lagging_({ now: () => clock });
  return { store, listeners, hold: holdNextLookup };
}

const DAY_SEC = 86_400;
let clock: number;

function verifier(extra: Record<string, unknown> = {}): Verifier {
  return createVerifier({ algorithms: ['HS256'], secret: SECRET, clockToleranceSec: 5, now: () => clock, ...extra });
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode> {
  const error = await rejectionOf(promise);
  if (!isAuthError(error)) throw error;
  return error.code;
}

function tokenFor(extra: JWTPayload = {}, iatSec = NOW_SEC): Promise<string> {
  return sign(claims(extra, iatSec));
}

beforeEach(() => {
  clock = NOW_MS;
});

describe('a revocation while the store lookup is in flight (item 5)', () => {
  it('re-auth: refuses the new token with AUTH_REVOKED and keeps the context in force', async () => {
    const lagging = laggingStore();
    const options: ConnectionAuthOptions = { verifier: verifier(), revocationStore: lagging.store };
    const auth = await ConnectionAuth.authenticate(await tokenFor({ jti: 'a-1' }, NOW_SEC - 10), options);
    auth.start();
    const next = await tokenFor({ jti: 'a-2' });
    const lookup = lagging.hold();
    const reauth = auth.reauthenticate(next);
    await lookup.asked;
    await lagging.store.revokeToken('a-2', NOW_MS + 3_600_000);
    lookup.release();
    expect(await codeOf(reauth)).toBe('AUTH_REVOKED');
    expect(auth.current()).toMatchObject({ tokenId: 'a-1', version: 1 });
    auth.close();
  });

  it('handshake: a connection revoked before it is started is revoked by core, then left alone once started', async () => {
    const lagging = laggingStore();
    const options: ConnectionAuthOptions = { verifier: verifier(), revocationStore: lagging.store };
    const lookup = lagging.hold();
    const pending = ConnectionAuth.authenticate(await tokenFor({ jti: 'h-1' }), options);
    await lookup.asked;
    await lagging.store.revokeToken('h-1', NOW_MS + 3_600_000);
    lookup.release();
    expect(await codeOf(pending)).toBe('AUTH_REVOKED');

    const auth = await ConnectionAuth.authenticate(await tokenFor({ jti: 'h-2' }), options);
    expect(auth.state).toBe('pending');
    await lagging.store.revokeToken('h-2', NOW_MS + 3_600_000); // not indexed by any adapter yet: core revokes it
    expect(auth.state).toBe('revoked');

    const started = await ConnectionAuth.authenticate(await tokenFor({ jti: 'h-3' }), options);
    started.start();
    await lagging.store.revokeToken('h-3', NOW_MS + 3_600_000); // started: the adapter's index is in charge
    expect(started.state).toBe('active');
    started.close();
  });

  it('authenticateToken refuses a token revoked during its lookup', async () => {
    const lagging = laggingStore();
    const lookup = lagging.hold();
    const pending = authenticateToken(await tokenFor({ sid: 's-1' }), { verifier: verifier(), revocationStore: lagging.store });
    await lookup.asked;
    await lagging.store.revokeSession('s-1');
    lookup.release();
    expect(await codeOf(pending)).toBe('AUTH_REVOKED');
  });

  it('listens to the store only while something is in flight or pending', async () => {
    const lagging = laggingStore();
    const options: ConnectionAuthOptions = { verifier: verifier(), revocationStore: lagging.store };
    const auth = await ConnectionAuth.authenticate(await tokenFor(), options);
    expect(lagging.listeners()).toBe(1); // pending: followed until started
    auth.start();
    expect(lagging.listeners()).toBe(0);
    await auth.reauthenticate(await tokenFor({}, NOW_SEC + 1));
    expect(lagging.listeners()).toBe(0);
    const other = await ConnectionAuth.authenticate(await tokenFor(), options);
    other.close();
    expect(lagging.listeners()).toBe(0);
    auth.close();
  });

  it('tells the adapter synchronously when a re-auth commits (onReauthenticated)', async () => {
    const seen: unknown[] = [];
    const options: ConnectionAuthOptions = { verifier: verifier() };
    const auth = await ConnectionAuth.authenticate(await tokenFor({ jti: 'r-1' }), options, {
      onReauthenticated: (context, previous) => seen.push([previous.tokenId, context.tokenId, context.version]),
    });
    auth.start();
    await auth.reauthenticate(await tokenFor({ jti: 'r-2' }, NOW_SEC + 1));
    expect(seen).toEqual([['r-1', 'r-2', 2]]);
    auth.close();
  });
});

describe('re-auth with a token of the same iat (item 6)', () => {
  async function connected(extra: JWTPayload) {
    const auth = await ConnectionAuth.authenticate(await tokenFor(extra), { verifier: verifier() });
    auth.start();
    return auth;
  }

  it('A → B → A: the same-second token with more permissions is AUTH_STALE', async () => {
    const admin = { scope: 'chat:write chat:admin' };
    const auth = await connected(admin);
    await auth.reauthenticate(await tokenFor({ scope: 'chat:write' }));
    expect(await codeOf(auth.reauthenticate(await tokenFor(admin)))).toBe('AUTH_STALE');
    expect(auth.current().permissions.toArray()).toEqual(['chat:write']);
    auth.close();
  });

  it('both without iat: unordered too', async () => {
    const auth = await connected({ iat: undefined, scope: 'a' });
    expect(await codeOf(auth.reauthenticate(await tokenFor({ iat: undefined, scope: 'a b' })))).toBe('AUTH_STALE');
    await expect(auth.reauthenticate(await tokenFor({ iat: undefined, scope: 'a' }))).resolves.toMatchObject({ version: 2 });
    auth.close();
  });

  it('accepts a same-second token that grants no more (wildcards count), even if it lives longer; a newer iat may grant more', async () => {
    const auth = await connected({ scope: 'chat:*' });
    await expect(auth.reauthenticate(await tokenFor({ scope: 'chat:read chat:*', exp: NOW_SEC + 7_200 }))).resolves.toMatchObject({
      version: 2,
    });
    await expect(auth.reauthenticate(await tokenFor({ scope: 'chat:* admin' }, NOW_SEC + 1))).resolves.toMatchObject({ version: 3 });
    auth.close();
  });
});

describe('subject revocation and the issuer clock (items 10, 12)', () => {
  it('records since = now + issuerClockSkewSec (default the verifier tolerance), so tokens minted ahead are covered', async () => {
    const store = new MemoryRevocationStore({ now: () => clock });
    const defaults: ConnectionAuthOptions = { verifier: verifier(), revocationStore: store };
    expect(ConnectionAuth.subjectRevocationSince(defaults)).toBe(NOW_MS + 5_000);
    const record = await revokeTarget(store, { subject: 'alice' }, undefined, ConnectionAuth.subjectRevocationSince(defaults));
    expect(await codeOf(authenticateToken(await tokenFor({}, NOW_SEC + 3), defaults))).toBe('AUTH_REVOKED');
    expect(await codeOf(authenticateToken(await tokenFor({}, NOW_SEC + 5), defaults))).toBe('AUTH_REVOKED');
    await expect(authenticateToken(await tokenFor({}, NOW_SEC + 6), defaults)).resolves.toMatchObject({ subject: 'alice' });
    expect(record.since).toBe(NOW_MS + 5_000);
  });

  it('with issuerClockSkewSec 0, a token with a millisecond iat after the revocation is accepted at once', async () => {
    const store = new MemoryRevocationStore({ now: () => clock });
    const trusted: ConnectionAuthOptions = { verifier: verifier(), revocationStore: store, issuerClockSkewSec: 0 };
    clock = NOW_MS + 400;
    await store.revokeSubject('alice', ConnectionAuth.subjectRevocationSince(trusted));
    expect(await codeOf(authenticateToken(await tokenFor({}, NOW_SEC), trusted))).toBe('AUTH_REVOKED');
    expect(await codeOf(authenticateToken(await tokenFor({}, NOW_SEC + 0.4), trusted))).toBe('AUTH_REVOKED');
    await expect(authenticateToken(await tokenFor({}, NOW_SEC + 0.401), trusted)).resolves.toMatchObject({ subject: 'alice' });
  });

  it.each([-1, 301, Number.NaN, '5'])('issuerClockSkewSec %p is a TypeError', (value) => {
    expect(() => ConnectionAuth.validateOptions({ verifier: verifier(), issuerClockSkewSec: value as number })).toThrow(TypeError);
  });

  it('the stores refuse a since that is not a time', async () => {
    const store = new MemoryRevocationStore();
    await expect(store.revokeSubject('alice', Number.NaN)).rejects.toThrow(TypeError);
    await expect(store.revokeSubject('alice', -1)).rejects.toThrow(TypeError);
  });
});

describe('revocation retention (item 11)', () => {
  it('refuses a store whose retention cannot cover maxTokenAgeSec + tolerance + skew', () => {
    const maxAge = verifier({ maxTokenAgeSec: DAY_SEC });
    expect(maxAge.maxTokenAgeSec).toBe(DAY_SEC);
    const short = new MemoryRevocationStore({ retentionSec: DAY_SEC + 9 });
    expect(() => ConnectionAuth.validateOptions({ verifier: maxAge, revocationStore: short })).toThrow(TypeError);
    const enough = new MemoryRevocationStore({ retentionSec: DAY_SEC + 10 });
    expect(() => ConnectionAuth.validateOptions({ verifier: maxAge, revocationStore: enough })).not.toThrow();
    expect(() => ConnectionAuth.validateOptions({ verifier: maxAge, revocationStore: short, issuerClockSkewSec: 4 })).not.toThrow();
    // Nothing to compare without maxTokenAgeSec (adapters warn per token) or without a known retention.
    expect(() => ConnectionAuth.validateOptions({ verifier: verifier(), revocationStore: short })).not.toThrow();
  });

  it('outlivesRetention: a token whose exp + tolerance lies beyond the retention', async () => {
    const store = new MemoryRevocationStore({ retentionSec: 3_600 });
    const v = verifier();
    const within = await authenticateToken(await tokenFor({ exp: NOW_SEC + 3_595 }), { verifier: v });
    const beyond = await authenticateToken(await tokenFor({ exp: NOW_SEC + 3_596 }), { verifier: v });
    expect(outlivesRetention(within, store, v)).toBe(false);
    expect(outlivesRetention(beyond, store, v)).toBe(true);
    expect(outlivesRetention(beyond, undefined, v)).toBe(false);
  });
});
