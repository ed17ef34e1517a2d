/**
 * The Nest example's HTTP layer in process: Nest's body parser, the DTO and revocation-target pipes, the admin
 * guard and the exception filter answer with the demo contract's statuses and `{ error: { code, message } }`
 * bodies (test/contract drives the running demo black-box; this pins the codes and the Nest wiring).
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { loadConfig, type ChatConfig } from '@sockauth/example-chat-common/config';
import { hs256Key, signAccessToken } from '@sockauth/example-chat-common/identity-provider';
import { MAX_BODY_BYTES } from '@sockauth/example-chat-common/http-api';
import { AppModule } from '../src/app.module';
import { configureHttp } from '../src/configure-http';

let app: NestExpressApplication;
let url: string;
let config: ChatConfig;

beforeAll(async () => {
  config = loadConfig({ PORT: '0', HOST: '127.0.0.1' });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
  configureHttp(app);
  await app.listen(0, '127.0.0.1');
  url = await app.getUrl();
}, 45_000);

afterAll(() => app?.close());

async function send(path: string, body: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(url + path, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.method === 'GET' ? {} : { body }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

const error = (code: string) => ({ error: { code, message: expect.any(String) } });

test('a login with a valid body answers a token set', async () => {
  const { status, body } = await send('/auth/login', JSON.stringify({ user: 'alice', scopes: ['chat:read', 'chat:read'] }));
  expect(status).toBe(200);
  expect(body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresAt: expect.any(Number) });
});

test.each([
  ['not JSON, without echoing it', '{"user": "alice",'],
  ['a JSON array', '[]'],
  ['an empty user', '{"user":""}'],
  ['a blank user', '{"user":"   "}'],
  ['a user with a control character', '{"user":"a\\u0007b"}'],
  ['a user longer than 64', JSON.stringify({ user: 'a'.repeat(65) })],
  ['scopes: null', '{"user":"alice","scopes":null}'],
  ['an ungrantable scope', '{"user":"alice","scopes":["chat:admin"]}'],
  ['ttlSec: null', '{"user":"alice","ttlSec":null}'],
  ['a fractional ttlSec', '{"user":"alice","ttlSec":1.5}'],
])('POST /auth/login with %s is 400 BAD_REQUEST', async (_what, body) => {
  const answer = await send('/auth/login', body);
  expect(answer).toMatchObject({ status: 400, body: error('BAD_REQUEST') });
  expect(answer.body.error.message).not.toContain('alice');
  expect(answer.headers.get('cache-control')).toBe('no-store');
});

test('a body over the limit is 413 PAYLOAD_TOO_LARGE and the connection is closed', async () => {
  const answer = await send('/auth/login', JSON.stringify({ user: 'a'.repeat(MAX_BODY_BYTES) }));
  expect(answer).toMatchObject({ status: 413, body: error('PAYLOAD_TOO_LARGE') });
  expect(answer.headers.get('connection')).toBe('close');
});

test('POST /auth/refresh: 400 for a malformed body, 401 AUTH_INVALID for an unknown token', async () => {
  await expect(send('/auth/refresh', '{"refreshToken":42}')).resolves.toMatchObject({ status: 400, body: error('BAD_REQUEST') });
  await expect(send('/auth/refresh', '{"refreshToken":"nope"}')).resolves.toMatchObject({ status: 401, body: error('AUTH_INVALID') });
});

test('POST /auth/revoke: the admin guard runs first (401, 403), then the body pipe (400)', async () => {
  const reader = (await send('/auth/login', '{"user":"bob"}')).body.accessToken as string;
  await expect(send('/auth/revoke', '{"subject":"x"}')).resolves.toMatchObject({ status: 401, body: error('AUTH_MISSING') });
  await expect(send('/auth/revoke', '{"subject":"x"}', { headers: { authorization: 'Bearer not-a-jwt' } })).resolves.toMatchObject({
    status: 401,
    body: error('AUTH_INVALID'),
  });
  await expect(send('/auth/revoke', '{"subject":"x"}', { headers: { authorization: `Bearer ${reader}` } })).resolves.toMatchObject({
    status: 403,
    body: error('AUTH_FORBIDDEN'),
  });
  const { token: admin } = await signAccessToken(hs256Key(config.secret), {
    subject: 'root',
    scopes: ['chat:admin'],
    ttlSec: 60,
    issuer: config.issuer,
    audience: config.audience,
  });
  const asAdmin = { headers: { authorization: `Bearer ${admin}` } };
  for (const body of ['{}', '{"subject":"a","sessionId":"b"}', '{"subject":42}', '[]']) {
    await expect(send('/auth/revoke', body, asAdmin)).resolves.toMatchObject({ status: 400, body: error('BAD_REQUEST') });
  }
  await expect(send('/auth/revoke', '{"subject":"nobody"}', asAdmin)).resolves.toMatchObject({ status: 200, body: { disconnected: 0 } });
});

test('an unknown route is 404 NOT_FOUND, a known one with another method 405 with Allow', async () => {
  await expect(send('/nope', '', { method: 'GET' })).resolves.toMatchObject({ status: 404, body: error('NOT_FOUND') });
  const wrong = await send('/auth/login', '', { method: 'GET' });
  expect(wrong).toMatchObject({ status: 405, body: error('METHOD_NOT_ALLOWED') });
  expect(wrong.headers.get('allow')).toBe('POST');
});
