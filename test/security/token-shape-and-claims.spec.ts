/**
 * Hostile token shapes and claims at the handshake, over the wire, against both adapters: oversize and deeply
 * nested tokens (one by one and many at once, with the heap measured), non-string tokens, numeric strings and
 * non-finite times, `maxTokenAgeSec` without `iat`, missing `sub`, wrong `typ`, unicode tricks in `iss`/`aud`,
 * `exp`/`nbf` exactly at the clock-skew boundary, and where the token may (not) come from: the query string
 * when disabled, a cookie from a foreign origin, two different tokens, another namespace.
 */
import { randomBytes } from 'node:crypto';
import type { AuthErrorCode } from '@sockauth/core';
import { ADAPTERS, type AdapterServer } from '../support/adapters';
import { heapUsed } from '../support/gc';
import { rawSocket } from '../support/raw-socket';
import {
  SEC_AUDIENCE,
  SEC_ISSUER,
  claimsFor,
  hsVerifier,
  nowSec,
  signHs,
  signRawHs,
  signRawPayloadHs,
} from '../support/hostile-tokens';
import { expectRefusedHandshake, refusal, useHarness } from './harness';

const h = useHarness();

/** A flat copy of a string (a V8 slice keeps its parent alive). */
function flat(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

describe.each(ADAPTERS)('%s: token size, nesting and type', (_name, start) => {
  async function expectRefused(server: AdapterServer, token: unknown, code: AuthErrorCode) {
    if (typeof token === 'string') h.secret(token);
    const error = await h.refused(server.url, { auth: { token } });
    expectRefusedHandshake(h, server, error, code);
  }

  test('a token over maxTokenBytes (8 KiB), genuinely signed → AUTH_INVALID before any parsing', async () => {
    const server = await h.start(start);
    const token = await signHs(h.keys, claimsFor('alice', { padding: 'x'.repeat(9_000) }));
    expect(token.length).toBeGreaterThan(8192);
    await expectRefused(server, token, 'AUTH_INVALID');
    // Refused by the size check itself: no JOSE error behind it, i.e. nothing was decoded.
    const record = h.log.logRecords.find((r) => r['code'] === 'AUTH_INVALID');
    expect(record).toBeDefined();
    expect(record).not.toHaveProperty('cause');
  });

  test('a huge header (just over the limit) → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const token = await signHs(h.keys, claimsFor('alice'), { header: { x: 'h'.repeat(8_200) } });
    await expectRefused(server, token, 'AUTH_INVALID');
  });

  test('a header nested 2 000 deep (under the limit, forged) → AUTH_INVALID, and the server still serves', async () => {
    const server = await h.start(start);
    const nested = `${'['.repeat(2_000)}${']'.repeat(2_000)}`;
    const token = signRawHs(h.keys.attackerSecret, `{"alg":"HS256","x":${nested}}`, JSON.stringify(claimsFor('mallory')));
    expect(token.length).toBeLessThan(8192);
    await expectRefused(server, token, 'AUTH_INVALID');
    const alice = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice'))) } });
    await expect(h.ack(alice, 'whoami')).resolves.toMatchObject({ subject: 'alice' });
  });

  test('a genuine token whose claims nest 100 000 deep (limit raised to 1 MiB) → AUTH_INVALID, no stack overflow escapes', async () => {
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { maxTokenBytes: 1 << 20 }) } });
    const now = nowSec();
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const payload = `{"sub":"alice","iss":"${SEC_ISSUER}","aud":"${SEC_AUDIENCE}","exp":${now + 300},"x":${deep}}`;
    const token = await signRawPayloadHs(h.keys.secret, payload);
    // Registering the whole token would mean half a million fragments: its signature is what identifies it.
    h.secret(flat(token.slice(token.lastIndexOf('.') + 1)));
    const error = await h.refused(server.url, { auth: { token } });
    expect(error.data).toEqual(refusal('AUTH_INVALID'));
    expect(server.connections).toEqual([]);
    const alice = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice'))) } });
    await expect(h.ack(alice, 'whoami')).resolves.toMatchObject({ subject: 'alice' });
  });

  test('64 oversize tokens (512 KiB each) at once: all AUTH_INVALID, and the heap does not keep them', async () => {
    const server = await h.start(start);
    const send = async (token: string): Promise<string> => {
      const raw = await rawSocket(server.url);
      raw.send(`40${JSON.stringify({ token })}`);
      const reply = await new Promise<string>((resolve) => {
        const poll = (): void => {
          const frame = raw.frames.find((f) => f.startsWith('44'));
          if (frame !== undefined) resolve(frame);
          else setImmediate(poll);
        };
        poll();
      });
      raw.close();
      await raw.closed;
      return reply;
    };
    const bigToken = (): string => {
      const token = `eyJhbGciOiJIUzI1NiJ9.${randomBytes(384 * 1024).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
      // Copies: a V8 slice would keep the whole 512 KiB token alive and spoil the measurement.
      h.secret(flat(token.slice(0, 2_000)));
      h.secret(flat(token.slice(-43)));
      return token;
    };
    await send(bigToken()); // warm-up: lazy structures of the server and the client library
    const before = await heapUsed();
    let replies: string[] = await Promise.all(Array.from({ length: 64 }, () => send(bigToken())));
    expect(new Set(replies.map((reply) => JSON.parse(reply.slice(2)).data.code))).toEqual(new Set(['AUTH_INVALID']));
    replies = [];
    const retained = (await heapUsed()) - before;
    // 64 × 512 KiB = 32 MiB went through; what stays must be a small fraction of one token per socket at most.
    expect(retained).toBeLessThan(8 * 1024 * 1024);
    expect(server.connections).toEqual([]);
    expect(server.sockAuth.size).toBe(0);
  });

  test.each([
    ['an object', { value: 'eyJhbGciOiJIUzI1NiJ9.e30.sig' }],
    ['a number', 12345],
    ['an array of tokens', ['a.b.c', 'd.e.f']],
    ['a boolean', true],
  ])('a token that is %s → AUTH_INVALID', async (_what, token) => {
    const server = await h.start(start);
    await expectRefused(server, token, 'AUTH_INVALID');
  });

  test('an empty token → AUTH_MISSING', async () => {
    const server = await h.start(start);
    await expectRefused(server, '', 'AUTH_MISSING');
  });

  test.each([
    ['no dots', 'not-a-jwt-at-all-just-text'],
    ['two segments', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0'],
    ['four segments', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln.ZXh0cmE'],
    ['only dots', '....'],
    ['invalid base64url', 'eyJhbGciOiJIUzI1NiJ9.!!!!.$$$$'],
  ])('a malformed compact token (%s) → AUTH_INVALID', async (_what, token) => {
    const server = await h.start(start);
    await expectRefused(server, token, 'AUTH_INVALID');
  });

  test('a genuine token with whitespace around it → AUTH_INVALID (no trimming, no second chance)', async () => {
    const server = await h.start(start);
    await expectRefused(server, ` ${await signHs(h.keys, claimsFor('alice'))}\n`, 'AUTH_INVALID');
  });
});

describe.each(ADAPTERS)('%s: claims', (_name, start) => {
  async function expectRefused(server: AdapterServer, token: string, code: AuthErrorCode) {
    const error = await h.refused(server.url, { auth: { token: h.secret(token) } });
    expectRefusedHandshake(h, server, error, code);
  }

  test('exp as a numeric string ("9999999999") → AUTH_INVALID', async () => {
    const server = await h.start(start);
    await expectRefused(server, await signHs(h.keys, claimsFor('alice', { exp: '9999999999' as unknown as number })), 'AUTH_INVALID');
  });

  test.each([
    ['exp 1e400 (Infinity once parsed)', 'exp', '1e400'],
    ['exp 1e300 (beyond any Date)', 'exp', '1e300'],
    ['iat 1e400', 'iat', '1e400'],
    ['nbf -1e400', 'nbf', '-1e400'],
  ])('%s, genuine signature → AUTH_INVALID', async (_what, claim, value) => {
    const server = await h.start(start);
    const now = nowSec();
    const base: Record<string, string> = { exp: String(now + 300), iat: String(now) };
    base[claim] = value;
    const payload = `{"sub":"alice","iss":"${SEC_ISSUER}","aud":"${SEC_AUDIENCE}","exp":${base['exp']},"iat":${base['iat']}${
      claim === 'nbf' ? `,"nbf":${value}` : ''
    }}`;
    await expectRefused(server, await signRawPayloadHs(h.keys.secret, payload), 'AUTH_INVALID');
  });

  test('exp ten years out without iat, maxTokenAgeSec set → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { maxTokenAgeSec: 3600 }) } });
    await expectRefused(server, await signHs(h.keys, claimsFor('alice', { iat: undefined, exp: nowSec() + 10 * 365 * 86_400 })), 'AUTH_INVALID');
  });

  test('iat older than maxTokenAgeSec (exp still far away) → AUTH_EXPIRED', async () => {
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { maxTokenAgeSec: 3600 }) } });
    await expectRefused(server, await signHs(h.keys, claimsFor('alice', { iat: nowSec() - 7200, exp: nowSec() + 86_400 })), 'AUTH_EXPIRED');
  });

  test('iat in the future with maxTokenAgeSec → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { maxTokenAgeSec: 3600 }) } });
    await expectRefused(server, await signHs(h.keys, claimsFor('alice', { iat: nowSec() + 600 })), 'AUTH_INVALID');
  });

  test.each([
    ['missing sub', { sub: undefined }],
    ['sub that is a number', { sub: 42 as unknown as string }],
    ['empty sub', { sub: '' }],
    ['missing exp', { exp: undefined }],
    ['missing iss', { iss: undefined }],
    ['missing aud', { aud: undefined }],
  ])('%s → AUTH_INVALID', async (_what, extra) => {
    const server = await h.start(start);
    await expectRefused(server, await signHs(h.keys, { ...claimsFor('alice'), ...extra }), 'AUTH_INVALID');
  });

  test.each([
    ['typ JWT where at+jwt is required', { typ: 'JWT' }],
    ['no typ where at+jwt is required', { typ: undefined }],
    ['typ "JWE"', { typ: 'JWE' }],
  ])('%s → AUTH_INVALID', async (_what, header) => {
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { typ: 'at+jwt' }) } });
    const token = await signHs(h.keys, claimsFor('alice'), { header: header.typ === undefined ? { typ: undefined } : header });
    await expectRefused(server, token, 'AUTH_INVALID');
  });

  test('typ at+jwt where at+jwt is required connects (control)', async () => {
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { typ: 'at+jwt' }) } });
    const socket = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice'), { header: { typ: 'at+jwt' } })) } });
    await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ subject: 'alice' });
  });

  const NFC_ISSUER = 'https://idp.ex\u00e4mple.test';
  test.each([
    ['a Cyrillic homoglyph in iss', { iss: 'https://\u0456dp.security.test' }, SEC_ISSUER],
    ['iss in NFD where the server expects NFC', { iss: NFC_ISSUER.normalize('NFD') }, NFC_ISSUER],
    ['a zero-width space in aud', { aud: 'sockauth\u200b-security' }, SEC_ISSUER],
    ['a trailing space in iss', { iss: `${SEC_ISSUER} ` }, SEC_ISSUER],
    ['aud differing only in case', { aud: 'Sockauth-Security' }, SEC_ISSUER],
    ['a fullwidth solidus in iss', { iss: 'https:\uff0f\uff0fidp.security.test' }, SEC_ISSUER],
  ])('%s → AUTH_INVALID (compared exactly, never normalised)', async (_what, claims, issuer) => {
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { issuer }) } });
    await expectRefused(server, await signHs(h.keys, { ...claimsFor('alice'), ...(issuer === NFC_ISSUER && { iss: NFC_ISSUER }), ...claims }), 'AUTH_INVALID');
  });

  test('the NFC issuer itself connects (control)', async () => {
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { issuer: NFC_ISSUER }) } });
    await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice', { iss: NFC_ISSUER }))) } });
  });
});

describe.each(ADAPTERS)('%s: exp and nbf at the exact clock-skew boundary (5 s, frozen clock)', (_name, start) => {
  const T = nowSec();
  async function server() {
    return h.start(start, { auth: { verifier: hsVerifier(h.keys, { clockToleranceSec: 5, now: () => T * 1000 }) } });
  }

  test('exp + skew == now → AUTH_EXPIRED', async () => {
    const s = await server();
    const error = await h.refused(s.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice', { iat: T - 60, exp: T - 5 }))) } });
    expectRefusedHandshake(h, s, error, 'AUTH_EXPIRED');
  });

  test('exp + skew == now + 1 s → connected, and events are handled', async () => {
    const s = await server();
    const socket = await h.connect(s.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice', { iat: T - 60, exp: T - 4 }))) } });
    await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ ok: true, subject: 'alice' });
  });

  test('nbf == now + skew → connected', async () => {
    const s = await server();
    await h.connect(s.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice', { iat: T, nbf: T + 5 }, T))) } });
  });

  test('nbf == now + skew + 1 s → AUTH_NOT_YET_VALID', async () => {
    const s = await server();
    const error = await h.refused(s.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice', { iat: T, nbf: T + 6 }, T))) } });
    expectRefusedHandshake(h, s, error, 'AUTH_NOT_YET_VALID');
  });
});

describe.each(ADAPTERS)('%s: where a token may come from', (_name, start) => {
  const cookie = { name: 'sa_token', allowedOrigins: ['https://app.security.test'] };

  test('a token in the query string while query tokens are disabled → AUTH_MISSING, and the URL is logged redacted', async () => {
    const server = await h.start(start);
    const token = h.secret(await signHs(h.keys, claimsFor('alice')));
    const error = await h.refused(server.url, { query: { token, access_token: token } });
    expectRefusedHandshake(h, server, error, 'AUTH_MISSING');
    const record = h.log.logRecords.find((r) => r['sockauth'] === 'refused') as { url: string };
    expect(record.url).toContain('token=[redacted]');
    expect(record.url).toContain('access_token=[redacted]');
    expect(record.url).toContain('EIO=4');
  });

  test('a cookie token from a foreign Origin (cross-site WebSocket hijacking) → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { cookie } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice')));
    const error = await h.refused(server.url, { extraHeaders: { cookie: `sa_token=${token}`, origin: 'https://evil.test' } });
    expectRefusedHandshake(h, server, error, 'AUTH_INVALID');
  });

  test('a cookie token with no Origin at all → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { cookie } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice')));
    const error = await h.refused(server.url, { extraHeaders: { cookie: `theme=dark; sa_token=${token}` } });
    expectRefusedHandshake(h, server, error, 'AUTH_INVALID');
  });

  test('a cookie token from a look-alike Origin (allowed origin as a prefix) → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { cookie } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice')));
    const error = await h.refused(server.url, { extraHeaders: { cookie: `sa_token=${token}`, origin: 'https://app.security.test.evil.test' } });
    expectRefusedHandshake(h, server, error, 'AUTH_INVALID');
  });

  test('different tokens in the Authorization header and the auth payload → AUTH_INVALID, never merged', async () => {
    const server = await h.start(start);
    const alice = h.secret(await signHs(h.keys, claimsFor('alice')));
    const admin = h.secret(await signHs(h.keys, claimsFor('admin', { scope: 'chat:admin' })));
    const error = await h.refused(server.url, { auth: { token: alice }, extraHeaders: { authorization: `Bearer ${admin}` } });
    expectRefusedHandshake(h, server, error, 'AUTH_INVALID');
  });

  test('a namespace other than / without a token → AUTH_MISSING; with a forged one → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const missing = await h.refused(`${server.url}/admin`);
    expectRefusedHandshake(h, server, missing, 'AUTH_MISSING', '/admin');
    const forged = h.secret(await signHs(h.keys, claimsFor('admin', { scope: 'chat:admin' }), { secret: h.keys.attackerSecret }));
    const invalid = await h.refused(`${server.url}/admin`, { auth: { token: forged } });
    expectRefusedHandshake(h, server, invalid, 'AUTH_INVALID', '/admin');
  });

  test('being authenticated on / does not authenticate /admin on the same connection → AUTH_MISSING', async () => {
    const server = await h.start(start);
    const root = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice'))) } });
    const admin = h.log.watch(root.io.socket('/admin'));
    admin.connect();
    const error = await new Promise<Error & { data?: unknown }>((resolve) => admin.once('connect_error', resolve));
    expect(error.data).toEqual(refusal('AUTH_MISSING'));
    admin.close();
    expect(server.connections.map((run) => run.namespace)).toEqual(['/']);
    await expect(h.ack(root, 'whoami')).resolves.toMatchObject({ subject: 'alice' });
    expect(server.runs.map((run) => `${run.namespace} ${run.event}`)).toEqual(['/ whoami']);
  });
});
