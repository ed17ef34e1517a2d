/**
 * What examples/socketio-chat does beyond the shared demo contract (which test/contract covers black-box):
 * configuration, the token CLI, HTTP edge cases, payload validation and the idempotency memory.
 */
import { resolve } from 'node:path';
import { decodeJwt } from 'jose';
import { createChatServer, type ChatServer } from '../../examples/socketio-chat/src/app';
import { RecentIds } from '../../examples/chat-common/src/recent-ids';
import { ConfigError, loadConfig } from '../../examples/chat-common/src/config';
import { runToEnd } from '../support/child-processes';
import { closeAll } from '@sockauth/testing';
import { connect } from '../support/clients';
import { freePort } from '../support/redis';

const ROOT = resolve(__dirname, '../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');
const SECRET = 'socketio-chat-example-tests-secret-0123456789';

/** Runs a script of the example like `npm run` would; resolves with its exit code and output. */
function run(script: 'main' | 'mint-token', env: Record<string, string>, args: string[] = []) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of ['PORT', 'JWT_SECRET', 'REDIS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE']) {
    if (!(name in env)) delete childEnv[name];
  }
  return runToEnd(TSX, ['--conditions=@sockauth/source', `examples/socketio-chat/src/${script}.ts`, ...args], { cwd: ROOT, env: childEnv });
}

describe('socketio-chat configuration', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(config).toEqual({
      port: 3000,
      host: '127.0.0.1',
      secret: SECRET,
      secretGenerated: false,
      issuer: 'sockauth-demo',
      audience: 'sockauth-demo',
      clockToleranceSec: 5,
      warnBeforeSec: 30,
      allowQueryToken: false,
      auditLog: false,
    });
  });

  it('generates a different secret of at least 32 bytes per process when JWT_SECRET is unset or empty', () => {
    const [a, b] = [loadConfig({}), loadConfig({ JWT_SECRET: '' })];
    expect(a.secretGenerated).toBe(true);
    expect(Buffer.byteLength(a.secret)).toBeGreaterThanOrEqual(32);
    expect(a.secret).not.toBe(b.secret);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      JWT_SECRET: SECRET,
      JWT_ISSUER: 'iss',
      JWT_AUDIENCE: 'aud',
      CLOCK_TOLERANCE_SEC: '0',
      WARN_BEFORE_SEC: '3',
      ALLOW_QUERY_TOKEN: 'true',
      AUDIT_LOG: '1',
    });
    expect(config).toMatchObject({ port: 0, host: '0.0.0.0', issuer: 'iss', audience: 'aud', clockToleranceSec: 0, warnBeforeSec: 3, allowQueryToken: true, auditLog: true });
    expect(loadConfig({ ALLOW_QUERY_TOKEN: '1' }).allowQueryToken).toBe(true);
    expect(loadConfig({ ALLOW_QUERY_TOKEN: '0' }).allowQueryToken).toBe(false);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['JWT_SECRET', 'too-short'],
    ['CLOCK_TOLERANCE_SEC', '301'],
    ['CLOCK_TOLERANCE_SEC', 'soon'],
    ['WARN_BEFORE_SEC', '-3'],
    ['ALLOW_QUERY_TOKEN', 'yes'],
    ['AUDIT_LOG', 'on'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['REDIS_URL', 'not a url'],
  ])('refuses %s=%s with a ConfigError', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
  });

  it('accepts a redis:// REDIS_URL (cluster mode) and never puts it in the configuration errors', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, REDIS_URL: 'redis://:pw@127.0.0.1:6379/0' }).redisUrl).toBe('redis://:pw@127.0.0.1:6379/0');
    expect(loadConfig({ JWT_SECRET: SECRET }).redisUrl).toBeUndefined();
    expect(() => loadConfig({ REDIS_URL: 'http://:secret-pw@host' })).toThrow(/^REDIS_URL must be/);
    expect(() => loadConfig({ REDIS_URL: 'http://:secret-pw@host' })).not.toThrow(/secret-pw/);
  });

  it('exits with code 1 and a message naming REDIS_URL (not its value) when Redis cannot be reached', async () => {
    const port = await freePort(); // nothing listens there
    const { code, stdout, stderr } = await run('main', { PORT: '0', JWT_SECRET: SECRET, REDIS_URL: `redis://:pw-${port}@127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('REDIS_URL');
    expect(stderr).not.toContain(`pw-${port}`);
  });

  it('exits with code 1 on an invalid value, naming the variable', async () => {
    const { code, stdout, stderr } = await run('main', { PORT: 'abc' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('PORT');
  });
});

describe('socketio-chat token CLI (npm run demo:token)', () => {
  it('prints only a token with the requested claims and the demo issuer and audience', async () => {
    const { code, stdout } = await run('mint-token', { JWT_SECRET: SECRET }, ['--sub', 'root', '--scope', 'chat:admin chat:read']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = decodeJwt(stdout.trim());
    expect(claims).toMatchObject({ sub: 'root', scope: 'chat:admin chat:read', iss: 'sockauth-demo', aud: 'sockauth-demo', jti: expect.any(String) });
    expect(claims.exp! - claims.iat!).toBeCloseTo(3600, 3);
  });

  it('honours --ttl, --sid and --jti', async () => {
    const { code, stdout } = await run('mint-token', { JWT_SECRET: SECRET }, ['--sub', 'a', '--ttl', '60', '--sid', 's-1', '--jti', 'j-1']);
    expect(code).toBe(0);
    const claims = decodeJwt(stdout.trim());
    expect(claims).toMatchObject({ sub: 'a', sid: 's-1', jti: 'j-1' });
    expect(claims.exp! - claims.iat!).toBeCloseTo(60, 3);
  });

  it('exits with code 1 and prints nothing to stdout without JWT_SECRET', async () => {
    const { code, stdout, stderr } = await run('mint-token', {}, ['--sub', 'root']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('JWT_SECRET');
  });

  it.each([[[]], [['--sub', 'a', '--ttl', 'soon']], [['--sub', 'a', '--unknown']]])('exits with code 1 on bad arguments %j', async (args) => {
    const { code, stdout } = await run('mint-token', { JWT_SECRET: SECRET }, args);
    expect(code).toBe(1);
    expect(stdout).toBe('');
  });
});

describe('socketio-chat server in process', () => {
  let server: ChatServer;

  beforeAll(async () => {
    server = await createChatServer(loadConfig({ PORT: '0', JWT_SECRET: SECRET }));
  });
  afterEach(closeAll);
  afterAll(() => server.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const json = (response: Response): Promise<any> => response.json();
  const login = async (body: unknown) => json(await post('/auth/login', JSON.stringify(body)));

  it('starts on a free port and reports it', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('answers 404 with NOT_FOUND for an unknown path', async () => {
    const response = await fetch(`${server.url}/nope`);
    expect(response.status).toBe(404);
    expect(await json(response)).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('answers 405 with an Allow header for a known path with the wrong method', async () => {
    const getLogin = await fetch(`${server.url}/auth/login`);
    expect(getLogin.status).toBe(405);
    expect(getLogin.headers.get('allow')).toBe('POST');
    expect((await json(getLogin)).error.code).toBe('METHOD_NOT_ALLOWED');
    const postPage = await post('/', '{}');
    expect(postPage.status).toBe(405);
    expect(postPage.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers HEAD / like GET / without a body', async () => {
    const response = await fetch(`${server.url}/`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('serves the Socket.IO client the page loads', async () => {
    const response = await fetch(`${server.url}/socket.io/socket.io.js`);
    expect(response.status).toBe(200);
  });

  it('answers 413 to a body over 16 KiB', async () => {
    const response = await post('/auth/login', JSON.stringify({ user: 'a', pad: 'x'.repeat(17 * 1024) }));
    expect(response.status).toBe(413);
    expect((await json(response)).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('logs in with chat:read and chat:write for 900 s by default', async () => {
    const before = Math.floor(Date.now() / 1000);
    const tokens = await login({ user: 'alice' });
    const claims = decodeJwt(tokens.accessToken);
    expect(claims['scope']).toBe('chat:read chat:write');
    expect(claims.exp! - claims.iat!).toBeCloseTo(900, 3);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
  });

  it.each([0, 86_401, 1.5, null])('refuses ttlSec %p with 400', async (ttlSec) => {
    expect((await post('/auth/login', JSON.stringify({ user: 'alice', ttlSec }))).status).toBe(400);
  });

  it.each([['a'.repeat(65)], ['   '], ['bad\nname']])('refuses user %j with 400', async (user) => {
    expect((await post('/auth/login', JSON.stringify({ user }))).status).toBe(400);
  });

  it('names the reason of a refused refresh and revocation with sockauth codes', async () => {
    const tokens = await login({ user: 'bob' });
    await post('/auth/refresh', JSON.stringify({ refreshToken: tokens.refreshToken }));
    const reused = await post('/auth/refresh', JSON.stringify({ refreshToken: tokens.refreshToken }));
    expect(reused.status).toBe(401);
    expect((await json(reused)).error.code).toBe('AUTH_REVOKED');
    const unknown = await post('/auth/refresh', JSON.stringify({ refreshToken: 'nope' }));
    expect((await json(unknown)).error.code).toBe('AUTH_INVALID');
    const noToken = await post('/auth/revoke', JSON.stringify({ subject: 'bob' }));
    expect((await json(noToken)).error.code).toBe('AUTH_MISSING');
    const notAdmin = await post('/auth/revoke', JSON.stringify({ subject: 'bob' }), { authorization: `Bearer ${(await login({ user: 'c' })).accessToken}` });
    expect((await json(notAdmin)).error.code).toBe('AUTH_FORBIDDEN');
  });

  it('acks malformed chat payloads with BAD_REQUEST and keeps the socket', async () => {
    const socket = await connect(server.url, { auth: { token: (await login({ user: 'dave' })).accessToken } });
    const badRequest = { ok: false, error: { code: 'BAD_REQUEST', message: expect.any(String) } };
    const cases: [string, unknown][] = [
      ['chat:join', undefined],
      ['chat:join', { room: '' }],
      ['chat:join', { room: 'x'.repeat(65) }],
      ['chat:send', { room: 'r', text: 42 }],
      ['chat:send', { room: 'r', text: 'x'.repeat(2001) }],
      ['chat:send', { room: 'r', text: 'hi', id: 7 }],
      ['chat:send', ['r', 'hi']],
    ];
    for (const [event, payload] of cases) {
      expect(await socket.timeout(5_000).emitWithAck(event, payload)).toEqual(badRequest);
    }
    expect(socket.connected).toBe(true);
  });

  it('denies events that are not in the event map', async () => {
    const socket = await connect(server.url, { auth: { token: (await login({ user: 'erin' })).accessToken } });
    expect(await socket.timeout(5_000).emitWithAck('chat:delete', { id: 'x' })).toEqual({
      error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) },
    });
  });
});

describe('socketio-chat idempotency memory', () => {
  it('forgets an id after the window', () => {
    let now = 0;
    const recent = new RecentIds(1000, 100, () => now);
    expect(recent.remember('alice', 'm1')).toBe(true);
    expect(recent.remember('alice', 'm1')).toBe(false);
    expect(recent.remember('bob', 'm1')).toBe(true);
    now = 999;
    expect(recent.remember('alice', 'm1')).toBe(false);
    now = 1000;
    expect(recent.remember('alice', 'm1')).toBe(true);
    expect(recent.size).toBe(1);
  });

  it('keeps at most its cap, forgetting the oldest first', () => {
    const recent = new RecentIds(60_000, 3, () => 0);
    for (const id of ['a', 'b', 'c', 'd']) recent.remember('alice', id);
    expect(recent.size).toBe(3);
    expect(recent.remember('alice', 'a')).toBe(true);
    expect(recent.remember('alice', 'd')).toBe(false);
  });
});
