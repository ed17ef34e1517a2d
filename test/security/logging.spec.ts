/**
 * Structured logging over the wire, with a real pino logger writing to memory, against both adapters: what is
 * logged for each life event and at which level, that a record only ever has the fields sockauth builds, and that
 * a whole session through every token source (auth payload, Authorization header, cookie, query string) and
 * every outcome (refusals, re-auth, revocation, expiry, flood) emits nothing containing a token — the harness
 * greps every log line, hook argument, console line, event, ack and connect_error for token fragments after
 * each test.
 */
import type { SockAuthLogRecord } from '@sockauth/socket.io';
import { ADAPTERS } from '../support/adapters';
import { nextEvent } from '../support/clients';
import { claimsFor, hsVerifier, nowSec, signHs } from '../support/hostile-tokens';
import { refusal, useHarness } from './harness';

const h = useHarness();

/** Every member a record may have: sockauth's own fields plus pino's. */
const RECORD_KEYS = new Set<string>([
  'sockauth', 'socketId', 'namespace', 'stage', 'code', 'action', 'subject', 'event', 'url', 'cause', 'revocation', 'version',
  'level', 'time', 'msg',
] satisfies (keyof SockAuthLogRecord | 'level' | 'time' | 'msg')[]);

const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

describe.each(ADAPTERS)('%s: structured logging', (_name, start) => {
  test('a whole hostile session through every token source and outcome: the right records, only safe fields, no token anywhere', async () => {
    const cookie = { name: 'sa_token', allowedOrigins: ['https://app.security.test'] };
    const server = await h.start(start, {
      auth: {
        verifier: hsVerifier(h.keys, { clockToleranceSec: 0 }),
        cookie,
        allowQueryToken: true,
        warnBeforeSec: 0,
        maxReauthsPerMinute: 100,
        eventRateLimit: { perSecond: 1, burst: 50, disconnectAfter: 5 },
      },
    });
    const T = nowSec();
    const token = (sub: string, extra = {}, options = {}) => signHs(h.keys, claimsFor(sub, { iat: T - 10, ...extra }), options).then(h.secret);

    // Refused handshakes, through every source.
    await h.refused(server.url, { auth: { token: await token('mallory', {}, { secret: h.keys.attackerSecret }) } });
    await h.refused(server.url, { extraHeaders: { authorization: `Bearer ${await token('mallory', { exp: T - 60 })}` } });
    await h.refused(server.url, { query: { token: await token('mallory', {}, { secret: h.keys.attackerSecret }) } });
    await h.refused(server.url, { extraHeaders: { cookie: `sa_token=${await token('mallory')}`, origin: 'https://evil.test' } });

    // Accepted through every source.
    const viaAuth = await h.connect(server.url, { auth: { token: await token('alice', { sid: 's-a', jti: 'a-1', scope: 'chat:write' }) } });
    await h.connect(server.url, { extraHeaders: { authorization: `Bearer ${await token('bob', { jti: 'b-1' })}` } });
    await h.connect(server.url, { extraHeaders: { cookie: `sa_token=${await token('carol')}`, origin: 'https://app.security.test' } });
    const viaQuery = await h.connect(server.url, { query: { token: await token('dave', { jti: 'd-1' }) } });

    // A refused event, a refused and an accepted re-auth.
    await expect(h.ack(viaAuth, 'admin:kick')).resolves.toEqual({ error: { ...refusal('AUTH_FORBIDDEN'), message: expect.any(String) } });
    await h.ack(viaAuth, 'auth:refresh', { token: await token('bob', { sid: 's-a' }) });
    await expect(h.ack(viaAuth, 'auth:refresh', { token: await token('alice', { sid: 's-a', jti: 'a-2' }) })).resolves.toMatchObject({ ok: true });

    // Revocation of dave, expiry of erin, a flood from frank.
    const daveCut = nextEvent(viaQuery, 'disconnect');
    await server.sockAuth.revoke({ tokenId: 'd-1' });
    await daveCut;
    // Expires 0.5 to 1.5 s from now (exp is in whole seconds).
    const erin = await h.connect(server.url, { auth: { token: await token('erin', { exp: Math.ceil((Date.now() + 500) / 1000) }) } });
    const frank = await h.connect(server.url, { auth: { token: await token('frank') } });
    const frankCut = nextEvent(frank, 'disconnect');
    for (let i = 0; i < 120; i++) frank.emit('whoami');
    await frankCut;
    await expect(nextEvent(erin, 'auth:error')).resolves.toMatchObject(refusal('AUTH_EXPIRED'));

    const records = h.log.logRecords;
    for (const record of records) {
      expect(Object.keys(record).filter((key) => !RECORD_KEYS.has(key))).toEqual([]);
      if (record['cause'] !== undefined) expect(Object.keys(record['cause'] as object).every((k) => ['name', 'code', 'claim'].includes(k))).toBe(true);
    }
    const kinds = (kind: string) => records.filter((r) => r['sockauth'] === kind);
    expect(kinds('refused').filter((r) => r['stage'] === 'handshake').map((r) => [r['code'], r['level']])).toEqual([
      ['AUTH_INVALID', LEVEL.warn],
      ['AUTH_EXPIRED', LEVEL.info],
      ['AUTH_INVALID', LEVEL.warn],
      ['AUTH_INVALID', LEVEL.warn],
    ]);
    expect(kinds('refused').find((r) => r['stage'] === 'handshake' && String(r['url']).includes('token='))?.['url']).toMatch(/token=\[redacted\]/);
    expect(kinds('authenticated').map((r) => [r['subject'], r['level']])).toEqual(
      ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((subject) => [subject, LEVEL.debug]),
    );
    expect(kinds('refused').filter((r) => r['stage'] === 'reauth').map((r) => [r['code'], r['subject'], r['level']])).toEqual([
      ['AUTH_IDENTITY_MISMATCH', 'alice', LEVEL.warn],
    ]);
    expect(kinds('refused').filter((r) => r['stage'] === 'event' && r['code'] === 'AUTH_FORBIDDEN')).toEqual([
      expect.objectContaining({ event: 'admin:kick', subject: 'alice', level: LEVEL.debug }),
    ]);
    expect(kinds('reauthenticated')).toEqual([expect.objectContaining({ subject: 'alice', version: 2, level: LEVEL.info })]);
    expect(kinds('revoked')).toEqual([expect.objectContaining({ subject: 'dave', revocation: 'token', level: LEVEL.info })]);
    expect(kinds('expired')).toEqual([expect.objectContaining({ subject: 'erin', level: LEVEL.info })]);
    expect(kinds('rate-limited')).toEqual([expect.objectContaining({ subject: 'frank', level: LEVEL.warn })]);
    // The flood: the burst handled, then disconnectAfter + 1 refusals logged (one more if the real clock refilled
    // a fraction of a token meanwhile), each at debug; nothing for the 60-odd packets left after the cut.
    const floodRefusals = kinds('refused').filter((r) => r['subject'] === 'frank');
    expect(floodRefusals.length).toBeGreaterThanOrEqual(6);
    expect(floodRefusals.length).toBeLessThanOrEqual(7);
    expect(floodRefusals.every((r) => r['level'] === LEVEL.debug && r['code'] === 'AUTH_UNAVAILABLE')).toBe(true);
    // At most the burst was handled (events admitted but still queued when the socket was cut are dropped).
    expect(server.runs.filter((run) => run.context?.subject === 'frank').length).toBeLessThanOrEqual(50);
  }, 10_000);

  test('a logger that throws never breaks authentication', async () => {
    const boom = () => {
      throw new Error('logger down');
    };
    const server = await h.start(start, { auth: { logger: { debug: boom, info: boom, warn: boom, error: boom } } });
    const error = await h.refused(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('m'), { secret: h.keys.attackerSecret })) } });
    expect(error.data).toEqual(refusal('AUTH_INVALID'));
    const socket = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice'))) } });
    await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ subject: 'alice' });
  });
});
