/**
 * Handshake over the wire: where the token may come from, every refusal code with its exact
 * `connect_error` `err.data`, redaction of the handshake, and the typed context on `socket.data.auth`.
 */
import { MemoryRevocationStore, type RevocationSubject } from '@sockauth/core';
import type { Socket } from 'socket.io';
import { deferred } from '../../../test/support/async';
import { installApp, leakedTokenFragments, serverSocket } from '../../../test/support/app';
import { closeAll } from '@sockauth/testing';
import { client, connect, connectOutcome, nextEvent, refused } from '../../../test/support/clients';
import { startServer } from '../../../test/support/servers';
import { es256Keys, hs256Verifier, mint, mintES256, nowSec, unsignedToken } from '../../../test/support/tokens';

afterEach(closeAll);

describe('token from the auth payload', () => {
  test('a valid token connects and the typed context is on socket.data.auth while connected', async () => {
    const seen = deferred<Socket>();
    const server = await startServer({ setup: (io) => io.on('connection', (socket) => seen.resolve(socket)) });
    const exp = nowSec() + 120;
    const token = await mint({ sub: 'alice', scope: 'chat:read chat:write', sid: 'sess-1', jti: 'tok-1' }, { exp });

    const socket = await connect(server.url, { auth: { token } });
    const onServer = await seen.promise;

    const context = onServer.data.auth;
    expect(context).toBeDefined();
    expect(context?.subject).toBe('alice');
    expect(context?.permissions.toArray()).toEqual(['chat:read', 'chat:write']);
    expect(context?.sessionId).toBe('sess-1');
    expect(context?.tokenId).toBe('tok-1');
    expect(context?.version).toBe(1);
    expect(context?.expiresAt).toBe(exp * 1000);
    expect(context?.claims.sub).toBe('alice');
    expect(server.auth.contextOf(onServer)).toBe(context);
    expect(server.auth.size).toBe(1);
    expect(onServer.id).toBe(socket.id);
  });

  test('the context is gone from socket.data.auth and contextOf once the socket disconnects', async () => {
    const connected = deferred<Socket>();
    const afterDisconnect = deferred<{ data: unknown; context: unknown }>();
    const server = await startServer({
      setup: (io, auth) =>
        io.on('connection', (socket) => {
          connected.resolve(socket);
          socket.on('disconnect', () => afterDisconnect.resolve({ data: socket.data.auth, context: auth.contextOf(socket) }));
        }),
    });
    const socket = await connect(server.url, { auth: { token: await mint({ sub: 'alice' }) } });
    expect((await connected.promise).data.auth?.subject).toBe('alice');

    socket.disconnect();
    const seen = await afterDisconnect.promise;

    expect(seen.data).toBeUndefined();
    expect(seen.context).toBeUndefined();
    expect(server.auth.size).toBe(0);
  });

  test('the token in handshake.auth is redacted before connection handlers see it', async () => {
    const seen = deferred<Socket>();
    const server = await startServer({ setup: (io) => io.on('connection', (socket) => seen.resolve(socket)) });
    const token = await mint({ sub: 'alice' });

    await connect(server.url, { auth: { token, locale: 'fr' } });
    const handshake = (await seen.promise).handshake;

    expect(handshake.auth).toEqual({ token: '[redacted]', locale: 'fr' });
    expect(leakedTokenFragments(JSON.stringify(handshake), [token])).toEqual([]);
  });

  test('an ES256 verifier accepts ES256 tokens and refuses HS256 ones with AUTH_INVALID', async () => {
    const { publicKey } = await es256Keys();
    const server = await startServer({ auth: { verifier: hs256Verifier({ algorithms: ['ES256'], secret: undefined, publicKey }) } });
    const log = installApp(server.io, server.auth);

    const socket = await connect(server.url, { auth: { token: await mintES256({ sub: 'ecdsa-user' }) } });
    expect((await socket.emitWithAck('whoami')).subject).toBe('ecdsa-user');

    const err = await refused(server.url, { auth: { token: await mint({ sub: 'ecdsa-user' }) } });
    expect(err.data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
    expect(log.count('whoami')).toBe(1);
  });
});

describe('token from the Authorization header', () => {
  test('a Bearer token in the header connects', async () => {
    const server = await startServer();
    const log = installApp(server.io, server.auth);
    const token = await mint({ sub: 'header-user' });

    const socket = await connect(server.url, { extraHeaders: { authorization: `Bearer ${token}` } });

    expect((await socket.emitWithAck('whoami')).subject).toBe('header-user');
    expect(log.count()).toBe(1);
  });

  test('the same token in the header and the auth payload connects', async () => {
    const server = await startServer();
    const token = await mint({ sub: 'alice' });

    const socket = await connect(server.url, { auth: { token }, extraHeaders: { authorization: `Bearer ${token}` } });

    expect(socket.connected).toBe(true);
  });

  test('different tokens in the header and the auth payload are refused with AUTH_INVALID, never merged', async () => {
    const server = await startServer();
    const onConnection = jest.fn();
    server.io.on('connection', onConnection);
    const alice = await mint({ sub: 'alice' });
    const mallory = await mint({ sub: 'mallory', scope: 'chat:admin' });

    const err = await refused(server.url, { auth: { token: alice }, extraHeaders: { authorization: `Bearer ${mallory}` } });

    expect(err.data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
    expect(onConnection).not.toHaveBeenCalled();
    expect(server.auth.size).toBe(0);
  });

  test('a non-Bearer Authorization header counts as no credentials (AUTH_MISSING)', async () => {
    const server = await startServer();
    const token = await mint({ sub: 'alice' });

    const err = await refused(server.url, { extraHeaders: { authorization: `Basic ${token}` } });

    expect(err.data).toEqual({ code: 'AUTH_MISSING', action: 'login' });
  });
});

describe('token from a cookie', () => {
  const cookie = { name: 'sa_token', allowedOrigins: ['https://app.example.test'] };

  test('a cookie token from an allowed Origin connects', async () => {
    const server = await startServer({ auth: { cookie } });
    const log = installApp(server.io, server.auth);
    const token = await mint({ sub: 'cookie-user' });

    const socket = await connect(server.url, {
      extraHeaders: { cookie: `theme=dark; sa_token=${token}`, origin: 'https://app.example.test' },
    });

    expect((await socket.emitWithAck('whoami')).subject).toBe('cookie-user');
    expect(log.count()).toBe(1);
  });

  test('a cookie token from a foreign Origin is refused (cross-site WebSocket hijacking)', async () => {
    const server = await startServer({ auth: { cookie } });
    const onConnection = jest.fn();
    server.io.on('connection', onConnection);
    const token = await mint({ sub: 'victim' });

    const err = await refused(server.url, { extraHeaders: { cookie: `sa_token=${token}`, origin: 'https://evil.example.test' } });

    expect(err.data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
    expect(onConnection).not.toHaveBeenCalled();
  });

  test('a cookie token with no Origin header is refused', async () => {
    const server = await startServer({ auth: { cookie } });
    const onConnection = jest.fn();
    server.io.on('connection', onConnection);

    const err = await refused(server.url, { extraHeaders: { cookie: `sa_token=${await mint({ sub: 'victim' })}` } });

    expect(err.data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
    expect(onConnection).not.toHaveBeenCalled();
  });

  test('a predicate decides which Origins may use the cookie', async () => {
    const server = await startServer({
      auth: { cookie: { name: 'sa_token', allowedOrigins: (origin) => origin.endsWith('.trusted.test') } },
    });
    const token = await mint({ sub: 'alice' });

    await connect(server.url, { extraHeaders: { cookie: `sa_token=${token}`, origin: 'https://a.trusted.test' } });
    const err = await refused(server.url, { extraHeaders: { cookie: `sa_token=${token}`, origin: 'https://trusted.test.evil' } });

    expect(err.data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
  });

  test('cookies are ignored unless cookie authentication is configured', async () => {
    const server = await startServer();
    const token = await mint({ sub: 'alice' });

    const err = await refused(server.url, { extraHeaders: { cookie: `sa_token=${token}`, origin: 'https://app.example.test' } });

    expect(err.data).toEqual({ code: 'AUTH_MISSING', action: 'login' });
  });
});

describe('token from the query string', () => {
  test('?token= is refused with AUTH_MISSING when query tokens are not enabled', async () => {
    const server = await startServer();
    const onConnection = jest.fn();
    server.io.on('connection', onConnection);

    const err = await refused(server.url, { query: { token: await mint({ sub: 'alice' }) } });

    expect(err.data).toEqual({ code: 'AUTH_MISSING', action: 'login' });
    expect(onConnection).not.toHaveBeenCalled();
  });

  test('?token= connects with allowQueryToken, and handshake.url and handshake.query no longer contain it', async () => {
    const seen = deferred<Socket>();
    const server = await startServer({
      auth: { allowQueryToken: true },
      setup: (io) => io.on('connection', (socket) => seen.resolve(socket)),
    });
    const token = await mint({ sub: 'query-user' });

    await connect(server.url, { query: { token, room: 'lobby' } });
    const handshake = (await seen.promise).handshake;

    expect(handshake.query['token']).toBe('[redacted]');
    expect(handshake.query['room']).toBe('lobby');
    expect(handshake.url).toContain('room=lobby');
    expect(leakedTokenFragments(handshake.url, [token])).toEqual([]);
    expect(leakedTokenFragments(JSON.stringify(handshake), [token])).toEqual([]);
    expect((await seen.promise).data.auth?.subject).toBe('query-user');
  });

  test('a custom query parameter name is honoured and redacted', async () => {
    const seen = deferred<Socket>();
    const server = await startServer({
      auth: { allowQueryToken: { param: 'ticket' } },
      setup: (io) => io.on('connection', (socket) => seen.resolve(socket)),
    });
    const token = await mint({ sub: 'ticket-user' });

    await connect(server.url, { query: { ticket: token } });
    const handshake = (await seen.promise).handshake;

    expect(handshake.query['ticket']).toBe('[redacted]');
    expect(leakedTokenFragments(JSON.stringify(handshake), [token])).toEqual([]);
  });
});

describe('token source configuration', () => {
  test('tokenSources restricts where a token is read: a token elsewhere counts as missing', async () => {
    const server = await startServer({ auth: { tokenSources: ['header'] } });
    const token = await mint({ sub: 'alice' });

    const err = await refused(server.url, { auth: { token } });
    await connect(server.url, { extraHeaders: { authorization: `Bearer ${token}` } });

    expect(err.data).toEqual({ code: 'AUTH_MISSING', action: 'login' });
  });

  test('a custom extractor supplies a token, and disagreeing with another source refuses with AUTH_INVALID', async () => {
    const server = await startServer({ auth: { tokenSources: ['auth', (handshake) => handshake.headers['x-access-token']] } });
    const log = installApp(server.io, server.auth);
    const alice = await mint({ sub: 'alice' });

    const socket = await connect(server.url, { extraHeaders: { 'x-access-token': alice } });
    const err = await refused(server.url, { auth: { token: await mint({ sub: 'mallory' }) }, extraHeaders: { 'x-access-token': alice } });

    expect((await socket.emitWithAck('whoami')).subject).toBe('alice');
    expect(err.data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
    expect(log.count()).toBe(1);
  });
});

describe('refusal codes', () => {
  test('no credentials at all: AUTH_MISSING with action login', async () => {
    const server = await startServer();
    const onConnection = jest.fn();
    server.io.on('connection', onConnection);

    const err = await refused(server.url);

    expect(err.data).toEqual({ code: 'AUTH_MISSING', action: 'login' });
    expect(onConnection).not.toHaveBeenCalled();
  });

  test('an empty token string counts as missing', async () => {
    const server = await startServer();
    const err = await refused(server.url, { auth: { token: '' } });
    expect(err.data).toEqual({ code: 'AUTH_MISSING', action: 'login' });
  });

  const invalid: [string, () => Promise<unknown>][] = [
    ['garbage', async () => 'not-a-jwt'],
    ['a bad signature', () => mint({ sub: 'alice' }, { secret: 'another-secret-that-is-long-enough-0123456789' })],
    ['the wrong issuer', () => mint({ sub: 'alice' }, { issuer: 'https://evil.test' })],
    ['the wrong audience', () => mint({ sub: 'alice' }, { audience: 'another-api' })],
    ['no audience', () => mint({ sub: 'alice' }, { audience: false })],
    ['alg none', async () => unsignedToken({ sub: 'alice' })],
    ['no subject', () => mint({ scope: 'chat:read' })],
    ['a number instead of a string', async () => 12345],
    ['an object instead of a string', async () => ({ sub: 'alice' })],
  ];
  test.each(invalid)('a token with %s is refused with AUTH_INVALID and action login', async (_name, makeToken) => {
    const server = await startServer();
    const onConnection = jest.fn();
    server.io.on('connection', onConnection);

    const err = await refused(server.url, { auth: { token: await makeToken() } });

    expect(err.data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
    expect(typeof err.message).toBe('string');
    expect(onConnection).not.toHaveBeenCalled();
  });

  test('a token over maxTokenBytes is refused with AUTH_INVALID', async () => {
    const server = await startServer({ auth: { verifier: hs256Verifier({ maxTokenBytes: 128 }) } });
    const token = await mint({ sub: 'alice', scope: 'x'.repeat(200) });

    const err = await refused(server.url, { auth: { token } });

    expect(err.data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
  });

  test('an expired token is refused with AUTH_EXPIRED and action refresh', async () => {
    const server = await startServer();
    const onConnection = jest.fn();
    server.io.on('connection', onConnection);

    const err = await refused(server.url, { auth: { token: await mint({ sub: 'alice' }, { exp: nowSec() - 10 }) } });

    expect(err.data).toEqual({ code: 'AUTH_EXPIRED', action: 'refresh' });
    expect(onConnection).not.toHaveBeenCalled();
  });

  test('an expired token within the clock tolerance still connects', async () => {
    const server = await startServer({ auth: { verifier: hs256Verifier({ clockToleranceSec: 30 }) } });

    const socket = await connect(server.url, { auth: { token: await mint({ sub: 'alice' }, { exp: nowSec() - 5 }) } });

    expect(socket.connected).toBe(true);
  });

  test('a token whose nbf is in the future is refused with AUTH_NOT_YET_VALID and action retry', async () => {
    const server = await startServer();
    const onConnection = jest.fn();
    server.io.on('connection', onConnection);

    const err = await refused(server.url, { auth: { token: await mint({ sub: 'alice' }, { nbf: nowSec() + 60 }) } });

    expect(err.data).toEqual({ code: 'AUTH_NOT_YET_VALID', action: 'retry' });
    expect(onConnection).not.toHaveBeenCalled();
  });

  test('a token of a revoked subject is refused with AUTH_REVOKED and action login', async () => {
    const server = await startServer();
    const onConnection = jest.fn();
    server.io.on('connection', onConnection);
    const token = await mint({ sub: 'alice' }, { iat: nowSec() - 5 });
    await server.auth.revoke({ subject: 'alice' });

    const err = await refused(server.url, { auth: { token } });

    expect(err.data).toEqual({ code: 'AUTH_REVOKED', action: 'login' });
    expect(onConnection).not.toHaveBeenCalled();
  });

  test('a revocation store that cannot answer refuses with AUTH_UNAVAILABLE and action retry (fail closed)', async () => {
    class DownStore extends MemoryRevocationStore {
      override async isRevoked(_token: RevocationSubject): Promise<boolean> {
        throw new Error('ECONNREFUSED 127.0.0.1:6379');
      }
    }
    const server = await startServer({ auth: { revocationStore: new DownStore() } });
    const onConnection = jest.fn();
    server.io.on('connection', onConnection);

    const err = await refused(server.url, { auth: { token: await mint({ sub: 'alice' }) } });

    expect(err.data).toEqual({ code: 'AUTH_UNAVAILABLE', action: 'retry' });
    expect(onConnection).not.toHaveBeenCalled();
  });

  test('a mapClaims hook that throws an AuthError refuses with that code', async () => {
    const { AuthForbiddenError } = await import('@sockauth/core');
    const server = await startServer({
      auth: {
        mapClaims: (claims) => {
          if (claims['tenant'] === 'blocked') throw new AuthForbiddenError('tenant blocked');
          return { subject: String(claims.sub) };
        },
      },
    });

    const err = await refused(server.url, { auth: { token: await mint({ sub: 'alice', tenant: 'blocked' }) } });
    await connect(server.url, { auth: { token: await mint({ sub: 'bob', tenant: 'ok' }) } });

    expect(err.data).toEqual({ code: 'AUTH_FORBIDDEN', action: 'none' });
  });

  test('connect_error data carries exactly { code, action } and the message never contains the token', async () => {
    const server = await startServer();
    const token = await mint({ sub: 'alice' }, { secret: 'another-secret-that-is-long-enough-0123456789' });

    const err = await refused(server.url, { auth: { token } });

    expect(Object.keys(err.data ?? {}).sort()).toEqual(['action', 'code']);
    expect(leakedTokenFragments(err.message, [token])).toEqual([]);
  });
});

describe('events before the handshake completes', () => {
  test('events buffered by a client whose handshake is refused never reach a handler', async () => {
    const server = await startServer();
    const log = installApp(server.io, server.auth);
    const socket = client(server.url, { auth: { token: 'garbage' } });
    socket.emit('chat:send', { text: 'sneaky' });
    socket.emit('whoami', () => undefined);

    const outcome = await connectOutcome(socket);

    expect(outcome.connected).toBe(false);
    expect(log.count()).toBe(0);
  });

  test('a raw event packet sent right after a refused CONNECT is dropped, not handled', async () => {
    const server = await startServer();
    const log = installApp(server.io, server.auth);
    const socket = client(server.url, { auth: { token: await mint({ sub: 'alice' }, { exp: nowSec() - 10 }) } });
    // Registered after the socket's own 'open' listener, so this is written right after its CONNECT packet.
    socket.io.once('open', () => socket.io.engine.write('42["chat:send",{"text":"before auth"}]'));

    await nextEvent(socket.io, 'close');

    expect(log.count()).toBe(0);
    expect(server.auth.size).toBe(0);
  });
});

test('a refused handshake leaves the server able to authenticate the next one', async () => {
  const server = await startServer();
  const log = installApp(server.io, server.auth);

  await refused(server.url, { auth: { token: 'garbage' } });
  const socket = await connect(server.url, { auth: { token: await mint({ sub: 'alice' }) } });

  expect((await socket.emitWithAck('whoami')).subject).toBe('alice');
  expect(serverSocket(server.io, socket.id).data.auth?.subject).toBe('alice');
  expect(log.count()).toBe(1);
});
