/**
 * The HTTP half of the demo contract (shared DEMO-CONTRACT.md "Starting", "HTTP"): what every demo answers whatever
 * its WebSocket transport, driven black-box with global fetch. The Socket.IO suite (demo-contract.spec.ts) and the
 * plain-WebSocket one (ws-contract.spec.ts) both call it; what HTTP does to live connections (a revocation cutting
 * them) is tested by each on its own transport.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { adminToken, get, login, mint, nowSec, post, postRevoke, uniqueUser } from './helpers';
import { CONTRACT_AUDIENCE, CONTRACT_ISSUER, type RunningServer } from './servers';

const CHAT_SCOPES = ['chat:read', 'chat:write'];

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** The servers the HTTP tests use, read when the tests run: `main`, and `all` the processes the suite started. */
export interface HttpContractServers {
  readonly main: RunningServer;
  readonly all: readonly RunningServer[];
}

/** Declares the HTTP tests (inside the caller's describe, whose `beforeAll` starts the servers). */
export function describeHttpContract(servers: () => HttpContractServers): void {
  const main = (): RunningServer => servers().main;
  const all = (): readonly RunningServer[] => servers().all;

  describe('starting', () => {
    it('prints `listening on http://HOST:PORT` with the port it really listens on', async () => {
      expect(main().url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(main().stdout()).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\n/);
      expect((await get(main().url, '/')).status).toBe(200);
    });

    it('picks a free port when PORT=0, a different one for each process', () => {
      const ports = all().map((running) => portOf(running.url));
      for (const port of ports) expect(port).toBeGreaterThan(0);
      expect(new Set(ports).size).toBe(3);
    });
  });

  describe('GET /', () => {
    it('serves an HTML page', async () => {
      const page = await get(main().url, '/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.body).toMatch(/<html/i);
    });
  });

  describe('POST /auth/login', () => {
    it('returns an access token, an opaque refresh token and expiresAt in ms', async () => {
      const user = uniqueUser('alice');
      const before = Date.now();
      const { status, body } = await post(main().url, '/auth/login', { user, scopes: CHAT_SCOPES, ttlSec: 60 });
      expect(status).toBe(200);
      expect(body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresAt: expect.any(Number) });
      expect(decodeProtectedHeader(body.accessToken).alg).toBe('HS256');
      const claims = decodeJwt(body.accessToken);
      expect(claims).toMatchObject({ sub: user, iss: CONTRACT_ISSUER, aud: CONTRACT_AUDIENCE, sid: expect.any(String) });
      expect(String(claims['scope']).split(' ').sort()).toEqual(CHAT_SCOPES);
      expect(body.expiresAt).toBe(claims.exp! * 1000);
      expect(body.expiresAt).toBeGreaterThanOrEqual(before + 59_000);
      expect(body.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
      expect(body.refreshToken.split('.')).toHaveLength(1); // opaque, not a JWT
    });

    it('starts a new session for every login', async () => {
      const user = uniqueUser();
      const [first, second] = [await login(main().url, user), await login(main().url, user)];
      expect(decodeJwt(first.accessToken)['sid']).not.toBe(decodeJwt(second.accessToken)['sid']);
    });

    it.each(['application/x-www-form-urlencoded', 'text/plain'])('reads a JSON body sent as %s too (curl -d), like the other demo', async (type) => {
      const user = uniqueUser();
      const { status, body } = await post(main().url, '/auth/login', { user }, { 'content-type': type });
      expect(status).toBe(200);
      expect(decodeJwt(body.accessToken).sub).toBe(user);
    });

    it.each([[['chat:admin']], [['chat:read', 'chat:admin']], [['root']]])('refuses scopes %j with 400', async (scopes) => {
      const { status } = await post(main().url, '/auth/login', { user: uniqueUser(), scopes, ttlSec: 60 });
      expect(status).toBe(400);
    });

    it.each([
      ['not JSON', '{"user": "alice",'],
      ['a JSON array', '[]'],
      ['a JSON string', '"alice"'],
      ['no user', '{"scopes":["chat:read"]}'],
      ['an empty user', '{"user":""}'],
      ['a user that is not a string', '{"user":42}'],
      ['scopes that are not an array', '{"user":"alice","scopes":"chat:read"}'],
      ['a negative ttlSec', '{"user":"alice","ttlSec":-1}'],
      ['a ttlSec that is not a number', '{"user":"alice","ttlSec":"60"}'],
    ])('refuses a malformed body (%s) with 400', async (_what, body) => {
      expect((await post(main().url, '/auth/login', body)).status).toBe(400);
    });
  });

  describe('POST /auth/refresh', () => {
    it('returns a new token set for the same session and rotates the refresh token', async () => {
      const user = uniqueUser();
      const first = await login(main().url, user);
      const { status, body } = await post(main().url, '/auth/refresh', { refreshToken: first.refreshToken });
      expect(status).toBe(200);
      expect(body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresAt: expect.any(Number) });
      expect(body.refreshToken).not.toBe(first.refreshToken);
      const [before, after] = [decodeJwt(first.accessToken), decodeJwt(body.accessToken)];
      expect(after).toMatchObject({ sub: user, sid: before['sid'] });
      expect(body.expiresAt).toBe(after.exp! * 1000);
    });

    it('refuses an unknown refresh token with 401', async () => {
      expect((await post(main().url, '/auth/refresh', { refreshToken: 'no-such-refresh-token' })).status).toBe(401);
    });

    it.each([
      ['not JSON', '{"refreshToken":'],
      ['no refreshToken', '{}'],
      ['a refreshToken that is not a string', '{"refreshToken":42}'],
    ])('refuses a malformed body (%s) with 400', async (_what, body) => {
      expect((await post(main().url, '/auth/refresh', body)).status).toBe(400);
    });
  });

  describe('POST /auth/revoke', () => {
    const revoke = (body: unknown, token?: string) => postRevoke(main().url, body, token);

    it('answers 401 without a token', async () => {
      expect((await revoke({ subject: uniqueUser() })).status).toBe(401);
    });

    it('answers 401 with an invalid, foreign or expired token', async () => {
      const tokens = [
        'not-a-jwt',
        await mint({ sub: 'root', scope: 'chat:admin' }, { secret: 'another-secret-that-is-at-least-32-bytes-long' }),
        await mint({ sub: 'root', scope: 'chat:admin' }, { issuer: 'someone-else' }),
        await mint({ sub: 'root', scope: 'chat:admin' }, { exp: nowSec() - 60 }),
      ];
      for (const token of tokens) expect((await revoke({ subject: uniqueUser() }, token)).status).toBe(401);
    });

    it('answers 403 to a valid token without chat:admin', async () => {
      const { accessToken } = await login(main().url, uniqueUser());
      expect((await revoke({ subject: uniqueUser() }, accessToken)).status).toBe(403);
      const readWrite = await mint({ sub: 'root', scope: 'chat:read chat:write' });
      expect((await revoke({ subject: uniqueUser() }, readWrite)).status).toBe(403);
    });

    it.each([
      ['an empty object', {}],
      ['two targets', { subject: 'a', sessionId: 'b' }],
      ['three targets', { subject: 'a', sessionId: 'b', tokenId: 'c' }],
      ['a target that is not a string', { subject: 42 }],
      ['not JSON', '{"subject":'],
    ])('answers 400 to a body with %s', async (_what, body) => {
      expect((await revoke(body, await adminToken())).status).toBe(400);
    });

    it('answers { disconnected: 0 } when no live socket matches', async () => {
      const { status, body } = await revoke({ subject: uniqueUser('nobody') }, await adminToken());
      expect(status).toBe(200);
      expect(body).toEqual({ disconnected: 0 });
    });
  });
}
