/**
 * The audit trail over the wire (issue #18 item 3): `createAuditTrail` combined with other hooks in each adapter's
 * `hooks` option (NestJS: `SockAuthModule`'s), writing to a real pino logger. A whole lifecycle (refused
 * handshakes, accepted ones through every token source, a refused event, a refused and an accepted re-auth, a
 * revocation cut, an expiry cut, disconnects) gives one record per decision, in order; and nothing written, for
 * any of several random tokens, contains a token, any 8-character piece of a token segment, or a header or
 * cookie value the clients sent.
 */
import { randomBytes } from 'node:crypto';
import { AUDIT_SCHEMA_VERSION, createAuditTrail, type AuditRecord } from '@sockauth/core';
import { combineHooks } from '@sockauth/metrics';
import type { SockAuthHooks } from '@sockauth/socket.io';
import { ADAPTERS } from '../support/adapters';
import { nextEvent, type ClientOptions, type ClientSocket } from '../support/clients';
import { EmissionLog, secretFragments } from '../support/emissions';
import { claimsFor, hsVerifier, nowSec, signHs } from '../support/hostile-tokens';
import { refusal, useHarness } from './harness';

const h = useHarness();

/** Every member an audit line may have: the record's fields plus pino's. */
const AUDIT_LINE_KEYS = new Set<string>([
  'audit', 'schemaVersion', 'event', 'socketId', 'namespace', 'subject', 'sessionId', 'tokenId', 'code', 'reason',
  'revocation', 'revokedAt', 'expiresAt', 'contextVersion', 'eventName', 'room', 'permissionsLost',
  'level', 'time', 'msg',
] satisfies (keyof AuditRecord | 'level' | 'time' | 'msg')[]);

const ORIGIN = 'https://app.audit.test';
const COOKIE = { name: 'sa_token', allowedOrigins: [ORIGIN] };

/** Random text of `bytes` bytes, base64url: what a session cookie or an API key looks like. */
const random = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Resolves when the adapter released a socket (the `released` record is written just before, by the trail). */
function releaseWaiter() {
  const waiting = new Map<string, () => void>();
  const released = new Set<string>();
  const hooks: SockAuthHooks = {
    onRelease: ({ socketId }) => {
      released.add(socketId);
      waiting.get(socketId)?.();
    },
  };
  const of = (id: string): Promise<void> =>
     released.has(id) ? Promise.resolve() : new Promise((resolve) => waiting.set(id, resolve));
  return { hooks, of };
}

/**
 * The pieces that must never be written: every 8-character window of every segment of each token (header
 * included), and of each header and cookie value the clients sent.
 */
function forbiddenPieces(secrets: readonly string[]): Set<string> {
  return secretFragments(secrets.flatMap((secret) => secret.split('.')), 8);
}

function leaks(text: string, pieces: Set<string>): string[] {
  const found: string[] = [];
  for (let i = 0; i + 8 <= text.length; i++) if (pieces.has(text.slice(i, i + 8))) found.push(text.slice(i, i + 8));
  return found;
}

describe.each(ADAPTERS)('%s: audit trail', (_name, start) => {
  test('a whole lifecycle: one record per decision, identifiers only, no token, header or cookie value anywhere', async () => {
    const audit = new EmissionLog();
    const releases = releaseWaiter();
    const server = await h.start(start, {
      auth: {
        // The trail composes with any other hooks (here the harness's recorder, and the waiter of this test).
        hooks: combineHooks(h.log.hooks(), createAuditTrail(audit.logger()), releases.hooks),
        verifier: hsVerifier(h.keys, { clockToleranceSec: 0 }),
        cookie: COOKIE,
        allowQueryToken: true,
        warnBeforeSec: 0,
        maxReauthsPerMinute: 100,
      },
    });
    const T = nowSec();
    const secrets: string[] = [];
    const keep = (value: string): string => (secrets.push(h.secret(value)), value);
    // Not a harness secret: the adapters' own logger and hooks echo a refused event's name (truncated), and the
    // denied ack tells the client which event it was; the trail must fingerprint it.
    const eventNamedWithToken = await signHs(h.keys, { note: random(30), sub: 'alice' });
    secrets.push(eventNamedWithToken);
    const token = async (sub: string, extra = {}, options = {}) => keep(await signHs(h.keys, claimsFor(sub, { iat: T - 10, ...extra }), options));
    // Sent with every connection: none of it may reach the trail.
    const apiKey = keep(random(24));
    const sessionCookie = keep(random(24));
    const noise = { 'x-api-key': apiKey };
    const cookieHeader = (value?: string) => ({ cookie: `session=${sessionCookie}${value === undefined ? '' : `; sa_token=${value}`}`, origin: ORIGIN });

    // Refused handshakes: a forged token, an expired one.
    await h.refused(server.url, { auth: { token: await token('mallory', {}, { secret: h.keys.attackerSecret }) }, extraHeaders: { ...noise, ...cookieHeader() } });
    await h.refused(server.url, { extraHeaders: { authorization: `Bearer ${await token('mallory', { exp: T - 60 })}`, ...noise } });

    // Accepted: alice (auth payload), dave (query string).
    const alice = await h.connect(server.url, {
      auth: { token: await token('alice', { sid: 's-a', jti: 'a-1', scope: 'chat:write' }) },
      extraHeaders: { ...noise, ...cookieHeader() },
    });
    const dave = await h.connect(server.url, { query: { token: await token('dave', { jti: 'd-1' }) }, extraHeaders: noise });
    const [aliceId, daveId] = [alice.id!, dave.id!];

    // A refused event, an event named with alice's own token, a refused and an accepted re-auth.
    await expect(h.ack(alice, 'admin:kick')).resolves.toEqual({ error: { ...refusal('AUTH_FORBIDDEN'), message: expect.any(String) } });
    await h.ack(alice, eventNamedWithToken);
    await expect(h.ack(alice, 'auth:refresh', { token: await token('bob', { sid: 's-a' }) })).resolves.toMatchObject({ ok: false });
    await expect(h.ack(alice, 'auth:refresh', { token: await token('alice', { sid: 's-a', jti: 'a-2' }) })).resolves.toMatchObject({ ok: true });

    // A revocation cut (dave), an expiry cut (erin: exp 0.5 to 1.5 s from now), a plain disconnect (alice).
    const daveCut = nextEvent(dave, 'disconnect');
    await server.sockAuth.revoke({ tokenId: 'd-1' });
    await daveCut;
    const erin = await h.connect(server.url, {
      auth: { token: await token('erin', { exp: Math.ceil((Date.now() + 500) / 1000) }) },
      extraHeaders: noise,
    });
    const erinId = erin.id!;
    await expect(nextEvent(erin, 'auth:error')).resolves.toMatchObject(refusal('AUTH_EXPIRED'));
    await releases.of(erinId);
    alice.disconnect();
    await releases.of(aliceId);

    // Fuzz: random identities and claims through every token source.
    const fuzzed: { id: string; sub: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const sub = `u-${random(6 + i * 3)}`;
      const fuzzToken = await token(sub, { jti: random(16), sid: random(12), email: `${random(9)}@example.test`, scope: 'chat:write', note: random(40) });
      const via: ClientOptions = [
        { auth: { token: fuzzToken } },
        { extraHeaders: { authorization: `Bearer ${fuzzToken}` } },
        { extraHeaders: cookieHeader(fuzzToken) },
        { query: { token: fuzzToken } },
      ][i % 4]!;
      const socket = await h.connect(server.url, { ...via, extraHeaders: { ...noise, ...via.extraHeaders } });
      const id = socket.id!;
      await h.ack(socket, 'admin:kick');
      fuzzed.push({ id, sub });
      socket.disconnect();
      await releases.of(id);
    }

    const lines = audit.of('log');
    const records = audit.logRecords;
    expect(records).toHaveLength(lines.length);
    // Nothing written holds an 8-character piece of any token segment, header value or cookie value.
    expect(leaks(lines.join('\n'), forbiddenPieces(secrets))).toEqual([]);
    for (const record of records) {
      expect(Object.keys(record).filter((key) => !AUDIT_LINE_KEYS.has(key))).toEqual([]);
      expect(record).toMatchObject({ audit: 'sockauth', schemaVersion: AUDIT_SCHEMA_VERSION, level: 30, time: expect.any(Number) });
    }
    const trail = (socketId?: string) =>
      records
        .filter((r) => socketId === undefined || r['socketId'] === socketId)
        .map(({ level: _l, time: _t, msg: _m, audit: _a, schemaVersion: _v, socketId: _s, ...rest }) => rest);

    // The two refused handshakes, first: no subject (never read from a refused token).
    expect(trail().slice(0, 2)).toEqual([
      { event: 'handshake.refused', namespace: '/', code: 'AUTH_INVALID' },
      { event: 'handshake.refused', namespace: '/', code: 'AUTH_EXPIRED' },
    ]);
    const aliceIds = { subject: 'alice', sessionId: 's-a', tokenId: 'a-1' };
    expect(trail(aliceId)).toEqual([
      { event: 'handshake.accepted', namespace: '/', ...aliceIds, expiresAt: expect.any(Number) },
      // Refusals after the handshake name the context in force.
      { event: 'event.refused', namespace: '/', ...aliceIds, code: 'AUTH_FORBIDDEN', eventName: 'admin:kick' },
      // The event named with a token: fingerprinted.
      { event: 'event.refused', namespace: '/', ...aliceIds, code: 'AUTH_FORBIDDEN', eventName: expect.stringMatching(/^\[token sha256:[0-9a-f]{8}, \d+ bytes\]$/) },
      { event: 'reauth.refused', namespace: '/', ...aliceIds, code: 'AUTH_IDENTITY_MISMATCH' },
      // The new token has no scope: chat:write is lost, in the tick it takes effect (before the re-auth's ack).
      { event: 'permissions.lost', namespace: '/', ...aliceIds, tokenId: 'a-2', reason: 'reauth', contextVersion: 2, permissionsLost: ['chat:write'] },
      { event: 'reauth.accepted', namespace: '/', ...aliceIds, tokenId: 'a-2', contextVersion: 2, expiresAt: expect.any(Number) },
      { event: 'released', namespace: '/', ...aliceIds, tokenId: 'a-2', reason: 'disconnect' },
    ]);
    expect(trail(daveId)).toEqual([
      { event: 'handshake.accepted', namespace: '/', subject: 'dave', tokenId: 'd-1', expiresAt: expect.any(Number) },
      { event: 'cut.revoked', namespace: '/', subject: 'dave', tokenId: 'd-1', code: 'AUTH_REVOKED', revocation: 'token', revokedAt: expect.any(Number) },
      { event: 'released', namespace: '/', subject: 'dave', tokenId: 'd-1', reason: 'revoked' },
    ]);
    expect(trail(erinId).map((r) => [r['event'], r['code'], r['reason']])).toEqual([
      ['handshake.accepted', undefined, undefined],
      // Cut, then released: the same order as a revocation.
      ['cut.expired', 'AUTH_EXPIRED', undefined],
      ['released', undefined, 'expired'],
    ]);
    for (const { id, sub } of fuzzed) {
      expect(trail(id).map((r) => [r['event'], r['subject'] ?? null])).toEqual([
        ['handshake.accepted', sub],
        ['event.refused', sub],
        ['released', sub],
      ]);
    }

  }, 20_000);
});
