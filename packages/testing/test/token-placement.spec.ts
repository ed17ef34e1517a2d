import type { Socket } from 'socket.io';
import { connectAs, createTestIssuer, type TestIssuer } from '../src/index.js';
import { chatServer } from './servers.js';

const ORIGIN = 'http://app.test';

/** What the server saw of the handshake once sockauth had read (and redacted) it. */
function lastHandshake(io: { of(name: string): { sockets: Map<string, Socket> } }) {
  const socket = [...io.of('/').sockets.values()].at(-1)!;
  return socket.handshake;
}

let issuer: TestIssuer;
beforeEach(async () => {
  issuer = await createTestIssuer();
});

describe('connectAs({ tokenIn })', () => {
  test("'auth' (default) puts the token in auth.token, keeping the caller's other auth fields", async () => {
    const { io } = await chatServer(issuer, { tokenSources: ['auth'] });
    const socket = await connectAs(io, { sub: 'alice' }, { issuer, auth: { device: 'cli' } });
    expect(await socket.emitWithAck('whoami')).toBe('alice');
    expect(lastHandshake(io).auth).toEqual({ token: '[redacted]', device: 'cli' });
  });

  test("'header' sends Authorization: Bearer, which a header-only server accepts", async () => {
    const { io } = await chatServer(issuer, { tokenSources: ['header'] });
    const socket = await connectAs(io, { sub: 'alice' }, { issuer, tokenIn: 'header' });
    expect(await socket.emitWithAck('whoami')).toBe('alice');
    expect(lastHandshake(io).auth).toEqual({});
    // The same server does not read auth.token: the placement is what made the difference.
    await expect(connectAs(io, { sub: 'bob' }, { issuer })).toBeRefusedWith('AUTH_MISSING');
  });

  test("'query' and { query } send the token as a query parameter, redacted by the server", async () => {
    const { io } = await chatServer(issuer, { tokenSources: ['query'], allowQueryToken: true });
    const socket = await connectAs(io, { sub: 'alice' }, { issuer, tokenIn: 'query', query: { room: 'lobby' } });
    expect(await socket.emitWithAck('whoami')).toBe('alice');
    expect(lastHandshake(io).query).toMatchObject({ token: '[redacted]', room: 'lobby' });

    const custom = await chatServer(issuer, { tokenSources: ['query'], allowQueryToken: { param: 'access_token' } });
    const carol = await connectAs(custom.io, { sub: 'carol' }, { issuer, tokenIn: { query: 'access_token' } });
    expect(await carol.emitWithAck('whoami')).toBe('carol');
    await expect(connectAs(custom.io, { sub: 'dave' }, { issuer, tokenIn: 'query' })).toBeRefusedWith('AUTH_MISSING');
  });

  test('{ cookie, origin } sends the cookie with an allowed Origin; without one, or from another origin, it is refused', async () => {
    const { io } = await chatServer(issuer, { tokenSources: ['cookie'], cookie: { name: 'session', allowedOrigins: [ORIGIN] } });
    const socket = await connectAs(io, { sub: 'alice' }, { issuer, tokenIn: { cookie: 'session', origin: ORIGIN } });
    expect(await socket.emitWithAck('whoami')).toBe('alice');
    expect(lastHandshake(io).headers.origin).toBe(ORIGIN);

    await expect(connectAs(io, { sub: 'bob' }, { issuer, tokenIn: { cookie: 'session' } })).toBeRefusedWith('AUTH_INVALID', {
      action: 'login',
    });
    await expect(
      connectAs(io, { sub: 'bob' }, { issuer, tokenIn: { cookie: 'session', origin: 'http://evil.test' } }),
    ).toBeRefusedWith('AUTH_INVALID');
    await expect(connectAs(io, { sub: 'bob' }, { issuer, tokenIn: { cookie: 'other', origin: ORIGIN } })).toBeRefusedWith(
      'AUTH_MISSING',
    );
  });

  test("the cookie is added to the caller's own Cookie header", async () => {
    const { io } = await chatServer(issuer, { tokenSources: ['cookie'], cookie: { name: 'session', allowedOrigins: [ORIGIN] } });
    const socket = await connectAs(io, { sub: 'alice' }, {
      issuer,
      tokenIn: { cookie: 'session', origin: ORIGIN },
      extraHeaders: { Cookie: 'theme=dark' },
    });
    expect(await socket.emitWithAck('whoami')).toBe('alice');
    expect(lastHandshake(io).headers.cookie).toMatch(/^theme=dark; session=/);
  });

  test('a token the caller sends elsewhere on purpose is kept: two different tokens are refused', async () => {
    const { io } = await chatServer(issuer);
    const other = await issuer.mint({ sub: 'mallory' });
    await expect(connectAs(io, { sub: 'alice' }, { issuer, tokenIn: 'header', auth: { token: other } })).toBeRefusedWith('AUTH_INVALID');
  });

  test('an unknown or malformed placement is a TypeError before anything is sent', async () => {
    const { io } = await chatServer(issuer);
    const token = await issuer.mint({ sub: 'alice' });
    for (const tokenIn of ['cookie', 'bearer', { query: '' }, { cookie: 'a b' }, { cookie: 'a', query: 'b' }, { cookie: 's', origin: 1 }, {}]) {
      await expect(connectAs(io, token, { tokenIn: tokenIn as never })).rejects.toThrow(TypeError);
    }
    expect(io.of('/').sockets.size).toBe(0);
  });
});
