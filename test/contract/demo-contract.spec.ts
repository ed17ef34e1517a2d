/**
 * The demo contract (shared DEMO-CONTRACT.md), black-box: every server in `contractServers` is started as a
 * child process, like `npm run demo` would, and driven only over HTTP (global fetch) and socket.io-client.
 */
import { decodeJwt } from 'jose';
import { closeAll } from '@sockauth/testing';
import { client, connect, nextEvent, record, refused, type ClientSocket } from '../support/clients';
import {
  adminToken,
  ask,
  connectWith,
  get,
  invalidTokens,
  login,
  mint,
  nowSec,
  post,
  postRevoke,
  refresh,
  uniqueRoom,
  uniqueUser,
  type TokenSet,
} from './helpers';
import { describeHttpContract } from './http-contract';
import { contractServers, useContractServers, type RunningServer } from './servers';

/** `{ error: { code: 'AUTH_FORBIDDEN', action: 'none', message } }`, exactly. */
const FORBIDDEN = { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) } };
const CHAT_SCOPES = ['chat:read', 'chat:write'];

describe.each(contractServers)('$name honours the demo contract', (server) => {
  /** Short expiry timings for the expiry tests; everything else runs here too. */
  let main: RunningServer;
  /** ALLOW_QUERY_TOKEN=1, other timings at their defaults. */
  let queryToken: RunningServer;
  /** No JWT_SECRET: a random one per process. */
  let noSecret: RunningServer;

  useContractServers(server, (servers) => ({ main, queryToken, noSecret } = servers));

  afterEach(closeAll);

  /** Logs in a fresh user on the main server and connects a socket with the access token. */
  async function loggedIn(
    options: { user?: string; scopes?: string[]; ttlSec?: number } = {},
  ): Promise<{ user: string; tokens: TokenSet; socket: ClientSocket }> {
    const user = options.user ?? uniqueUser();
    const tokens = await login(main.url, user, options);
    return { user, tokens, socket: await connectWith(main.url, tokens.accessToken) };
  }

  describeHttpContract(() => ({ main, all: [main, queryToken, noSecret] }));

  describe('POST /auth/refresh with live sockets', () => {
    it('refuses a reused refresh token with 401 and revokes the whole session', async () => {
      const { user, tokens: first, socket: firstSocket } = await loggedIn();
      const second = await refresh(main.url, first.refreshToken);
      const secondSocket = await connectWith(main.url, second.accessToken);
      const otherSession = await connectWith(main.url, (await login(main.url, user)).accessToken);
      const cut = [firstSocket, secondSocket].map((socket) =>
        Promise.all([nextEvent(socket, 'auth:error'), nextEvent(socket, 'disconnect')]),
      );

      expect((await post(main.url, '/auth/refresh', { refreshToken: first.refreshToken })).status).toBe(401);

      for (const [error, reason] of await Promise.all(cut)) {
        expect(error).toEqual({ code: 'AUTH_REVOKED', action: 'login', message: expect.any(String) });
        expect(reason).toBe('io server disconnect');
      }
      // The newest refresh token and access token of the session are dead too.
      expect((await post(main.url, '/auth/refresh', { refreshToken: second.refreshToken })).status).toBe(401);
      expect((await refused(main.url, { auth: { token: second.accessToken } })).data).toEqual({ code: 'AUTH_REVOKED', action: 'login' });
      // Another session of the same user is not affected.
      expect(otherSession.connected).toBe(true);
      expect(await ask(otherSession, 'whoami')).toMatchObject({ subject: user });
    });

  });

  describe('POST /auth/revoke with live sockets', () => {
    const revoke = (body: unknown, token?: string) => postRevoke(main.url, body, token);

    it('cuts every live socket of a subject and answers with how many', async () => {
      const user = uniqueUser();
      const sessions = [await login(main.url, user), await login(main.url, user)];
      const sockets = await Promise.all(sessions.map((tokens) => connectWith(main.url, tokens.accessToken)));
      const bystander = (await loggedIn()).socket;
      const logs = sockets.map(record);
      const cut = sockets.map((socket) => nextEvent(socket, 'disconnect'));

      const { status, body } = await revoke({ subject: user }, await adminToken());

      expect(status).toBe(200);
      expect(body).toEqual({ disconnected: 2 });
      await Promise.all(cut);
      for (const log of logs) {
        expect(log.map((entry) => entry.kind)).toEqual(['auth:error', 'disconnect']);
        expect(log[0]!.args[0]).toEqual({ code: 'AUTH_REVOKED', action: 'login', message: expect.any(String) });
        expect(log[1]!.args[0]).toBe('io server disconnect');
      }
      expect(bystander.connected).toBe(true);
      // The subject's tokens are refused at the handshake from now on.
      const again = await refused(main.url, { auth: { token: sessions[0]!.accessToken } });
      expect(again.data).toEqual({ code: 'AUTH_REVOKED', action: 'login' });
    });

    it('cuts only the sockets of a session', async () => {
      const user = uniqueUser();
      const revoked = await loggedIn({ user });
      const kept = await loggedIn({ user });
      const cut = Promise.all([nextEvent(revoked.socket, 'auth:error'), nextEvent(revoked.socket, 'disconnect')]);

      const sessionId = String(decodeJwt(revoked.tokens.accessToken)['sid']);
      const { status, body } = await revoke({ sessionId }, await adminToken());

      expect(status).toBe(200);
      expect(body).toEqual({ disconnected: 1 });
      expect((await cut)[0]).toMatchObject({ code: 'AUTH_REVOKED' });
      expect(kept.socket.connected).toBe(true);
      expect(await ask(kept.socket, 'whoami')).toMatchObject({ subject: user, version: 1 });
    });

    it('cuts only the sockets using a token id', async () => {
      const user = uniqueUser();
      const revoked = await loggedIn({ user });
      const kept = await loggedIn({ user });
      const cut = nextEvent(revoked.socket, 'auth:error');
      const tokenId = decodeJwt(revoked.tokens.accessToken).jti;
      expect(tokenId).toEqual(expect.any(String));

      const { status, body } = await revoke({ tokenId }, await adminToken());

      expect(status).toBe(200);
      expect(body).toEqual({ disconnected: 1 });
      expect(await cut).toMatchObject({ code: 'AUTH_REVOKED' });
      expect(kept.socket.connected).toBe(true);
    });

  });

  describe('handshake', () => {
    it('accepts the token in auth.token', async () => {
      const { user, socket } = await loggedIn();
      expect(await ask(socket, 'whoami')).toMatchObject({ subject: user });
    });

    it('accepts the token in an Authorization: Bearer header', async () => {
      const user = uniqueUser();
      const { accessToken } = await login(main.url, user);
      const socket = await connect(main.url, { extraHeaders: { Authorization: `Bearer ${accessToken}` } });
      expect(await ask(socket, 'whoami')).toMatchObject({ subject: user });
    });

    it('refuses a query token when ALLOW_QUERY_TOKEN is off (the default)', async () => {
      const { accessToken } = await login(main.url, uniqueUser());
      const error = await refused(main.url, { query: { token: accessToken } });
      expect(error.data).toEqual({ code: 'AUTH_MISSING', action: 'login' });
    });

    it('accepts a query token with ALLOW_QUERY_TOKEN=1', async () => {
      const user = uniqueUser();
      const { accessToken } = await login(queryToken.url, user);
      const socket = await connect(queryToken.url, { query: { token: accessToken } });
      expect(await ask(socket, 'whoami')).toMatchObject({ subject: user });
    });

    it('refuses a missing token with AUTH_MISSING', async () => {
      expect((await refused(main.url)).data).toEqual({ code: 'AUTH_MISSING', action: 'login' });
    });

    it('refuses malformed, foreign-signed, wrong-issuer, wrong-audience and sub-less tokens with AUTH_INVALID', async () => {
      for (const token of await invalidTokens()) {
        expect((await refused(main.url, { auth: { token } })).data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
      }
    });

    it('refuses an expired token with AUTH_EXPIRED', async () => {
      const token = await mint({ sub: uniqueUser() }, { exp: nowSec() - 2 });
      expect((await refused(main.url, { auth: { token } })).data).toEqual({ code: 'AUTH_EXPIRED', action: 'refresh' });
    });

    it('refuses a token whose nbf is in the future with AUTH_NOT_YET_VALID', async () => {
      const token = await mint({ sub: uniqueUser() }, { nbf: nowSec() + 120 });
      expect((await refused(main.url, { auth: { token } })).data).toEqual({ code: 'AUTH_NOT_YET_VALID', action: 'retry' });
    });

    it('accepts operator tokens with only sub, exp, iss and aud, and permissions from a `permissions` array', async () => {
      const user = uniqueUser();
      const socket = await connectWith(main.url, await mint({ sub: user, permissions: ['chat:read'] }));
      expect(await ask(socket, 'whoami')).toEqual({ subject: user, permissions: ['chat:read'], expiresAt: expect.any(Number), version: 1 });
      expect(await ask(socket, 'chat:join', { room: uniqueRoom() })).toEqual({ ok: true });
    });

    it('tolerates CLOCK_TOLERANCE_SEC (default 5) of clock skew on exp', async () => {
      const skewed = await mint({ sub: uniqueUser() }, { exp: nowSec() - 2 });
      expect((await connectOutcome(queryToken.url, skewed)).connected).toBe(true);
      const expired = await mint({ sub: uniqueUser() }, { exp: nowSec() - 30 });
      expect((await refused(queryToken.url, { auth: { token: expired } })).data).toEqual({ code: 'AUTH_EXPIRED', action: 'refresh' });
    });
  });

  describe('whoami and in-band re-auth', () => {
    it('whoami acks subject, permissions, expiresAt in ms and version 1', async () => {
      const { user, tokens, socket } = await loggedIn();
      const me = await ask(socket, 'whoami');
      expect(me).toEqual({ subject: user, permissions: expect.any(Array), expiresAt: tokens.expiresAt, version: 1 });
      expect([...me.permissions].sort()).toEqual(CHAT_SCOPES);
    });

    it('auth:refresh with a token from POST /auth/refresh acks ok and whoami version goes up by one each time', async () => {
      const { tokens, socket } = await loggedIn();
      let current = tokens;
      for (const version of [2, 3]) {
        current = await refresh(main.url, current.refreshToken);
        expect(await ask(socket, 'auth:refresh', { token: current.accessToken })).toEqual(
          expect.objectContaining({ ok: true, expiresAt: current.expiresAt }),
        );
        expect(await ask(socket, 'whoami')).toMatchObject({ version, expiresAt: current.expiresAt });
      }
    });

    it('auth:refresh with another user’s token is refused and the context in force stays', async () => {
      const { user, socket } = await loggedIn();
      const stranger = await login(main.url, uniqueUser());
      expect(await ask(socket, 'auth:refresh', { token: stranger.accessToken })).toEqual({
        ok: false,
        error: { code: 'AUTH_IDENTITY_MISMATCH', action: 'login', message: expect.any(String) },
      });
      expect(await ask(socket, 'whoami')).toMatchObject({ subject: user, version: 1 });
    });
  });

  describe('chat', () => {
    it('chat:join acks { ok: true } with chat:read', async () => {
      const { socket } = await loggedIn({ scopes: ['chat:read'] });
      expect(await ask(socket, 'chat:join', { room: uniqueRoom() })).toEqual({ ok: true });
    });

    it('chat:send is acked with its id and broadcast as chat:message to the members of the room only', async () => {
      const [alice, bob, carol] = [await loggedIn(), await loggedIn(), await loggedIn()];
      const [room, otherRoom] = [uniqueRoom(), uniqueRoom()];
      await ask(alice.socket, 'chat:join', { room });
      await ask(bob.socket, 'chat:join', { room });
      await ask(carol.socket, 'chat:join', { room: otherRoom });
      const carolGot: unknown[] = [];
      carol.socket.on('chat:message', (message: unknown) => carolGot.push(message));
      const received = [nextEvent(alice.socket, 'chat:message'), nextEvent(bob.socket, 'chat:message')];

      const ack = await ask(alice.socket, 'chat:send', { room, text: 'hello room', id: 'msg-1' });

      expect(ack).toEqual({ ok: true, id: 'msg-1' });
      const expected = { room, text: 'hello room', from: alice.user, id: 'msg-1' };
      expect(await Promise.all(received)).toEqual([expected, expected]);
      // Carol's own room's message arrives after anything sent to her earlier: she got nothing from the other room.
      const carolsOwn = nextEvent(carol.socket, 'chat:message');
      await ask(carol.socket, 'chat:send', { room: otherRoom, text: 'elsewhere' });
      await carolsOwn;
      expect(carolGot).toEqual([{ room: otherRoom, text: 'elsewhere', from: carol.user, id: expect.any(String) }]);
    });

    it('chat:send without an id gets a generated one, the same in the ack and in chat:message', async () => {
      const { user, socket } = await loggedIn();
      const room = uniqueRoom();
      await ask(socket, 'chat:join', { room });
      const received = nextEvent(socket, 'chat:message');
      const ack = await ask(socket, 'chat:send', { room, text: 'no id' });
      expect(ack).toEqual({ ok: true, id: expect.any(String) });
      expect(ack.id).not.toBe('');
      expect(await received).toEqual({ room, text: 'no id', from: user, id: ack.id });
    });

    it('a repeated id from the same subject is acknowledged again but not re-broadcast', async () => {
      const user = uniqueUser();
      const sender = await loggedIn({ user });
      const sameUserElsewhere = await loggedIn({ user });
      const listener = await loggedIn();
      const room = uniqueRoom();
      await ask(listener.socket, 'chat:join', { room });
      const got: { id: string }[] = [];
      const two = new Promise<void>((resolve) =>
        listener.socket.on('chat:message', (message: { id: string }) => got.push(message) === 2 && resolve()),
      );

      expect(await ask(sender.socket, 'chat:send', { room, text: 'once', id: 'dup-1' })).toEqual({ ok: true, id: 'dup-1' });
      expect(await ask(sender.socket, 'chat:send', { room, text: 'once', id: 'dup-1' })).toEqual({ ok: true, id: 'dup-1' });
      // Same subject on another connection: still the same message.
      expect(await ask(sameUserElsewhere.socket, 'chat:send', { room, text: 'once', id: 'dup-1' })).toEqual({ ok: true, id: 'dup-1' });
      expect(await ask(sender.socket, 'chat:send', { room, text: 'next', id: 'dup-2' })).toEqual({ ok: true, id: 'dup-2' });
      await two;

      expect(got.map((message) => message.id)).toEqual(['dup-1', 'dup-2']);
    });

    it('the same id from another subject is a different message', async () => {
      const [first, second, listener] = [await loggedIn(), await loggedIn(), await loggedIn()];
      const room = uniqueRoom();
      await ask(listener.socket, 'chat:join', { room });
      const got: { from: string }[] = [];
      const both = new Promise<void>((resolve) =>
        listener.socket.on('chat:message', (message: { from: string }) => got.push(message) === 2 && resolve()),
      );
      await ask(first.socket, 'chat:send', { room, text: 'a', id: 'shared-id' });
      await ask(second.socket, 'chat:send', { room, text: 'b', id: 'shared-id' });
      await both;
      expect(got.map((message) => message.from)).toEqual([first.user, second.user]);
    });

    it('chat:send without chat:write is refused with AUTH_FORBIDDEN and the socket stays connected', async () => {
      const { user, socket } = await loggedIn({ scopes: ['chat:read'] });
      expect(await ask(socket, 'chat:send', { room: uniqueRoom(), text: 'nope' })).toEqual(FORBIDDEN);
      expect(socket.connected).toBe(true);
      expect(await ask(socket, 'whoami')).toMatchObject({ subject: user });
    });

    it('chat:join without chat:read is refused with AUTH_FORBIDDEN and the socket stays connected', async () => {
      const socket = await connectWith(main.url, await mint({ sub: uniqueUser(), scope: 'chat:write' }));
      expect(await ask(socket, 'chat:join', { room: uniqueRoom() })).toEqual(FORBIDDEN);
      expect(socket.connected).toBe(true);
    });

    it('admin:announce is refused with AUTH_FORBIDDEN for a normal user', async () => {
      const { socket } = await loggedIn();
      expect(await ask(socket, 'admin:announce', { text: 'hi all' })).toEqual(FORBIDDEN);
      expect(socket.connected).toBe(true);
    });

    it('admin:announce with chat:admin acks { ok: true } and everyone gets chat:announcement', async () => {
      const [alice, bob] = [await loggedIn(), await loggedIn()];
      await ask(alice.socket, 'chat:join', { room: uniqueRoom() });
      const admin = await connectWith(main.url, await adminToken());
      const received = [alice.socket, bob.socket, admin].map((socket) => nextEvent(socket, 'chat:announcement'));

      expect(await ask(admin, 'admin:announce', { text: 'maintenance at noon' })).toEqual({ ok: true });

      expect(await Promise.all(received)).toEqual(Array(3).fill({ text: 'maintenance at noon' }));
    });

    it('a malformed payload or a missing ack never takes the server down', async () => {
      const { user, socket } = await loggedIn();
      for (const payload of [undefined, null, 42, 'text', [], {}, { room: 42, text: 'x' }, { room: uniqueRoom() }]) {
        const ack = await ask(socket, 'chat:send', payload);
        expect(ack).not.toEqual(expect.objectContaining({ ok: true }));
        expect(ack.error).toEqual(expect.objectContaining({ code: expect.any(String) }));
      }
      socket.emit('chat:send', { room: uniqueRoom(), text: 'no ack wanted' });
      socket.emit('chat:join');
      expect(await ask(socket, 'whoami')).toMatchObject({ subject: user });
      expect((await get(main.url, '/')).status).toBe(200);
    });
  });

  describe('expiry', () => {
    it('sends auth:expiring at exp - WARN_BEFORE_SEC, then auth:error AUTH_EXPIRED right before disconnecting at exp', async () => {
      const { tokens, socket } = await loggedIn({ ttlSec: 5 });
      const log = record(socket);
      const times: Record<string, number> = {};
      socket.onAny((event: string) => (times[event] = Date.now()));
      // A second socket of the session follows the page's flow: on auth:expiring, refresh and re-auth in band.
      const refreshed = await connectWith(main.url, tokens.accessToken);
      const reauthed = new Promise<{ ok: boolean }>((resolve, reject) => {
        refreshed.once('auth:expiring', () => {
          refresh(main.url, tokens.refreshToken)
            .then((next) => ask(refreshed, 'auth:refresh', { token: next.accessToken }))
            .then(resolve, reject);
        });
      });
      const disconnected = nextEvent(socket, 'disconnect');

      expect(await disconnected).toBe('io server disconnect');
      const disconnectedAt = Date.now();

      expect(log.map((entry) => entry.kind)).toEqual(['auth:expiring', 'auth:error', 'disconnect']);
      const warning = log[0]!.args[0] as { expiresAt: number; inMs: number };
      expect(warning).toEqual({ expiresAt: tokens.expiresAt, inMs: expect.any(Number) });
      expect(warning.inMs).toBeGreaterThan(0);
      expect(warning.inMs).toBeLessThanOrEqual(3_000);
      expect(times['auth:expiring']).toBeGreaterThanOrEqual(tokens.expiresAt - 3_000 - 50);
      expect(log[1]!.args[0]).toEqual({ code: 'AUTH_EXPIRED', action: 'refresh', message: expect.any(String) });
      expect(disconnectedAt).toBeGreaterThanOrEqual(tokens.expiresAt - 50);

      // The socket that re-authenticated in band outlives the first token.
      expect(await reauthed).toMatchObject({ ok: true });
      expect(refreshed.connected).toBe(true);
      const me = await ask(refreshed, 'whoami');
      expect(me.version).toBe(2);
      expect(me.expiresAt).toBeGreaterThan(tokens.expiresAt);
    }, 15_000);

    it('WARN_BEFORE_SEC defaults to 30', async () => {
      const tokens = await login(queryToken.url, uniqueUser(), { ttlSec: 32 });
      const socket = client(queryToken.url, { auth: { token: tokens.accessToken } });
      const warning = await nextEvent<{ expiresAt: number; inMs: number }>(socket, 'auth:expiring');
      expect(warning.expiresAt).toBe(tokens.expiresAt);
      expect(warning.inMs).toBeLessThanOrEqual(30_000);
      expect(warning.inMs).toBeGreaterThan(25_000);
    });
  });

  describe('without JWT_SECRET', () => {
    it('generates a secret: tokens from POST /auth/login work', async () => {
      const user = uniqueUser();
      const tokens = await login(noSecret.url, user);
      const socket = await connectWith(noSecret.url, tokens.accessToken);
      expect(await ask(socket, 'whoami')).toMatchObject({ subject: user, version: 1 });
      const next = await refresh(noSecret.url, tokens.refreshToken);
      expect(await ask(socket, 'auth:refresh', { token: next.accessToken })).toMatchObject({ ok: true });
    });

    it('refuses tokens signed with any other secret', async () => {
      const token = await mint({ sub: uniqueUser(), scope: 'chat:admin' });
      expect((await refused(noSecret.url, { auth: { token } })).data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
      expect((await post(noSecret.url, '/auth/revoke', { subject: 'x' }, { authorization: `Bearer ${token}` })).status).toBe(401);
    });
  });

  describe('stdout', () => {
    it('holds nothing but the listening line, after everything above', () => {
      for (const running of [main, queryToken, noSecret]) {
        expect(running.stdout()).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\n$/);
      }
    });
  });
});

/** Whether a handshake with `token` connects (the socket is closed by cleanup). */
async function connectOutcome(url: string, token: string): Promise<{ connected: boolean }> {
  const socket = client(url, { auth: { token } });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ connected: true }));
    socket.once('connect_error', () => resolve({ connected: false }));
  });
}
