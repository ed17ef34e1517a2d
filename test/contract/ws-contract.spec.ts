/**
 * The demo contract on plain WebSockets (shared DEMO-CONTRACT.md, "Plain WebSocket", plus "HTTP" and the rooms
 * section), black-box: every server in `wsContractServers` is started as a child process, like `npm run demo:ws`,
 * and driven only over HTTP (global fetch) and real `ws` clients at `/ws` (the testing kit's `connectAs`, and raw
 * `ws` sockets where the test needs to see the handshake itself).
 */
import type { IncomingMessage } from 'node:http';
import { connectAs, type WsClientSocket } from '@sockauth/testing';
import { decodeJwt } from 'jose';
import { WebSocket } from 'ws';
import { adminToken, invalidTokens, login, mint, nowSec, post, postRevoke, refresh, uniqueRoom, uniqueUser, type TokenSet } from './helpers';
import { describeHttpContract } from './http-contract';
import { useContractServers, wsContractServers, type RunningServer } from './servers';

const FORBIDDEN = { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) } };
const CHAT_SCOPES = ['chat:read', 'chat:write'];

type WsUrl = `ws://${string}`;
const wsUrlOf = (server: RunningServer, query = ''): WsUrl => `${server.url.replace(/^http/, 'ws')}/ws${query}` as WsUrl;

/** What a raw `ws` client saw of one connection attempt. */
interface Attempt {
  /** The upgrade completed (`open`). */
  readonly opened: boolean;
  /** The subprotocol the server selected. */
  readonly protocol: string;
  /** The 101 response's headers. */
  readonly headers: IncomingMessage['headers'];
  /** Text frames received before the close. */
  readonly messages: string[];
  readonly code: number;
  readonly reason: string;
}

/** Opens a raw `ws` connection and waits for the server to close it (a refusal closes at once). */
function attempt(url: string, protocols: string[] = ['sockauth'], headers: Record<string, string> = {}): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    let opened = false;
    let responseHeaders: IncomingMessage['headers'] = {};
    const messages: string[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('the server neither accepted nor closed within 5 s'));
    }, 5_000);
    ws.on('upgrade', (response) => (responseHeaders = response.headers));
    ws.on('open', () => (opened = true));
    ws.on('message', (data) => messages.push(data.toString()));
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ opened, protocol: ws.protocol, headers: responseHeaders, messages, code, reason: reason.toString() });
    });
  });
}

/** The refusal of `attempt`, checked against the contract: completed upgrade, nothing sent, 4000–4999, JSON reason. */
async function refusedWith(url: string, protocols?: string[], headers?: Record<string, string>): Promise<{ code: string; action: string }> {
  const seen = await attempt(url, protocols, headers);
  expect(seen.opened).toBe(true);
  expect(seen.messages).toEqual([]);
  expect(seen.code).toBeGreaterThanOrEqual(4000);
  expect(seen.code).toBeLessThanOrEqual(4999);
  return JSON.parse(seen.reason) as { code: string; action: string };
}

const bearer = (token: string): string[] => ['sockauth', `sockauth.bearer.${token}`];

/** Resolves with the next push of `type` on `socket`. */
function nextPush<T = any>(socket: WsClientSocket, type: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
    socket.once(type, (data: T) => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

/** Every push and the close, in order, as `type` (or `close`). */
function record(socket: WsClientSocket): { type: string; data: unknown }[] {
  const log: { type: string; data: unknown }[] = [];
  for (const type of ['auth:expiring', 'auth:error', 'auth:room-left', 'chat:message', 'chat:announcement']) {
    socket.on(type, (data: unknown) => log.push({ type, data }));
  }
  void socket.closed.then((close) => log.push({ type: 'close', data: close }));
  return log;
}

describe.each(wsContractServers)('$name honours the demo contract on plain WebSockets', (server) => {
  /** Short expiry timings for the expiry tests; everything else runs here too. */
  let main: RunningServer;
  /** ALLOW_QUERY_TOKEN=1, other timings at their defaults. */
  let queryToken: RunningServer;
  /** No JWT_SECRET: a random one per process. */
  let noSecret: RunningServer;

  useContractServers(server, (servers) => ({ main, queryToken, noSecret } = servers));

  /** Logs in a fresh user on the main server and connects with the access token in the subprotocols. */
  async function loggedIn(
    options: { user?: string; scopes?: string[]; ttlSec?: number } = {},
  ): Promise<{ user: string; tokens: TokenSet; socket: WsClientSocket }> {
    const user = options.user ?? uniqueUser();
    const tokens = await login(main.url, user, options);
    return { user, tokens, socket: await connectAs(wsUrlOf(main), tokens.accessToken) };
  }

  describeHttpContract(() => ({ main, all: [main, queryToken, noSecret] }));

  describe('handshake at ws://HOST:PORT/ws', () => {
    it('accepts the token in the subprotocols: the server selects `sockauth` and never echoes the token', async () => {
      const user = uniqueUser();
      const { accessToken } = await login(main.url, user);
      const socket = await connectAs(wsUrlOf(main), accessToken, { tokenIn: 'subprotocol' });
      expect(socket.raw.protocol).toBe('sockauth');
      expect(await socket.emitWithAck('whoami')).toMatchObject({ subject: user });
      // The 101 response, read by a raw client: sockauth selected, no fragment of the token anywhere in it.
      const raw = new WebSocket(wsUrlOf(main), bearer(accessToken));
      const headers = await new Promise<IncomingMessage['headers']>((resolve) => raw.once('upgrade', (response) => resolve(response.headers)));
      raw.on('error', () => undefined);
      raw.terminate();
      expect(headers['sec-websocket-protocol']).toBe('sockauth');
      expect(JSON.stringify(headers)).not.toContain(accessToken.split('.')[2]!.slice(0, 12));
    });

    it('accepts the token in an Authorization: Bearer header', async () => {
      const user = uniqueUser();
      const { accessToken } = await login(main.url, user);
      const socket = await connectAs(wsUrlOf(main), accessToken, { tokenIn: 'header' });
      expect(await socket.emitWithAck('whoami')).toMatchObject({ subject: user });
    });

    it('refuses a query token when ALLOW_QUERY_TOKEN is off (the default) and accepts it with ALLOW_QUERY_TOKEN=1', async () => {
      const { accessToken } = await login(main.url, uniqueUser());
      expect(await refusedWith(wsUrlOf(main, `?token=${accessToken}`))).toEqual({ code: 'AUTH_MISSING', action: 'login' });
      const user = uniqueUser();
      const tokens = await login(queryToken.url, user);
      const socket = await connectAs(wsUrlOf(queryToken), tokens.accessToken, { tokenIn: 'query' });
      expect(await socket.emitWithAck('whoami')).toMatchObject({ subject: user });
    });

    it('a refused handshake completes the upgrade, still selects `sockauth`, and closes at once with 4000–4999 and { code, action }', async () => {
      const seen = await attempt(wsUrlOf(main), bearer('garbage'));
      expect(seen).toMatchObject({ opened: true, protocol: 'sockauth', messages: [] });
      expect(seen.code).toBeGreaterThanOrEqual(4000);
      expect(seen.code).toBeLessThanOrEqual(4999);
      expect(JSON.parse(seen.reason)).toMatchObject({ code: 'AUTH_INVALID', action: 'login' });
      expect(await refusedWith(wsUrlOf(main))).toEqual({ code: 'AUTH_MISSING', action: 'login' });
    });

    it('refuses malformed, foreign-signed, wrong-issuer, wrong-audience and sub-less tokens with AUTH_INVALID', async () => {
      for (const token of await invalidTokens()) {
        await expect(connectAs(wsUrlOf(main), token)).toBeRefusedWith('AUTH_INVALID', { action: 'login' });
      }
    });

    it('refuses an expired token with AUTH_EXPIRED and a token whose nbf is in the future with AUTH_NOT_YET_VALID', async () => {
      const expired = await mint({ sub: uniqueUser() }, { exp: nowSec() - 2 });
      expect(await refusedWith(wsUrlOf(main), bearer(expired))).toEqual({ code: 'AUTH_EXPIRED', action: 'refresh' });
      const early = await mint({ sub: uniqueUser() }, { nbf: nowSec() + 120 });
      expect(await refusedWith(wsUrlOf(main), bearer(early))).toEqual({ code: 'AUTH_NOT_YET_VALID', action: 'retry' });
    });

    it('refuses tokens in two places that differ (header, subprotocol, query) with AUTH_INVALID, never merged', async () => {
      const [a, b] = [(await login(queryToken.url, uniqueUser())).accessToken, (await login(queryToken.url, uniqueUser())).accessToken];
      const invalid = { code: 'AUTH_INVALID', action: 'login' };
      expect(await refusedWith(wsUrlOf(queryToken), bearer(a), { authorization: `Bearer ${b}` })).toEqual(invalid);
      expect(await refusedWith(wsUrlOf(queryToken, `?token=${b}`), bearer(a))).toEqual(invalid);
      expect(await refusedWith(wsUrlOf(queryToken, `?token=${b}`), ['sockauth'], { authorization: `Bearer ${a}` })).toEqual(invalid);
      // The same token twice is one token.
      const socket = await connectAs(wsUrlOf(queryToken), a, { headers: { authorization: `Bearer ${a}` } });
      expect(socket.connected).toBe(true);
    });

    it('accepts operator tokens with only sub, exp, iss and aud, and permissions from a `permissions` array', async () => {
      const user = uniqueUser();
      const socket = await connectAs(wsUrlOf(main), await mint({ sub: user, permissions: ['chat:read'] }));
      expect(await socket.emitWithAck('whoami')).toEqual({ subject: user, permissions: ['chat:read'], expiresAt: expect.any(Number), version: 1 });
      expect(await socket.emitWithAck('chat:join', { room: uniqueRoom() })).toEqual({ ok: true });
    });
  });

  describe('frames', () => {
    it('answers every message with an id (number or string) with { type: "ack", id, data }, data the Socket.IO ack', async () => {
      const { user, tokens, socket } = await loggedIn();
      const [whoami, join] = await Promise.all([
        socket.request(JSON.stringify({ type: 'whoami', id: 'me-1' }), 'me-1'),
        socket.request(JSON.stringify({ type: 'chat:join', id: 7, data: { room: uniqueRoom() } }), 7),
      ]);
      expect(whoami).toEqual({ subject: user, permissions: expect.any(Array), expiresAt: tokens.expiresAt, version: 1 });
      expect(join).toEqual({ ok: true });
      // The frame itself, as a raw client reads it.
      const frame = new Promise((resolve) => socket.raw.on('message', (data) => resolve(JSON.parse(data.toString()))));
      socket.raw.send(JSON.stringify({ type: 'whoami', id: 'raw' }));
      expect(await frame).toEqual({ type: 'ack', id: 'raw', data: expect.objectContaining({ subject: user }) });
    });

    it('answers a frame that is not JSON, has no string type or is binary with BAD_REQUEST when it has an id, else ignores it; the socket stays', async () => {
      const { user, socket } = await loggedIn();
      const badRequest = { error: { code: 'BAD_REQUEST', action: 'none', message: expect.any(String) } };
      const frames: unknown[] = [];
      socket.raw.on('message', (data) => frames.push(JSON.parse(data.toString())));
      socket.raw.send('{"id":1,'); // not JSON: no id can be read
      socket.raw.send(JSON.stringify({ id: 'n', type: 42 }));
      socket.raw.send(JSON.stringify({ id: 'm' }));
      socket.raw.send(Buffer.from(JSON.stringify({ type: 'whoami', id: 'b' })));
      socket.raw.send('not json at all');
      socket.raw.send(JSON.stringify({ type: 'whoami' })); // no id: nothing to answer
      // Frames are answered in order: once this ack is in, every answer to the frames above is too.
      expect(await socket.emitWithAck('whoami')).toMatchObject({ subject: user });
      expect(frames).toEqual([
        { type: 'ack', id: 'n', data: badRequest },
        { type: 'ack', id: 'm', data: badRequest },
        { type: 'ack', id: 'b', data: badRequest },
        { type: 'ack', id: expect.any(Number), data: expect.objectContaining({ subject: user }) },
      ]);
    });

    it('closes the socket with 1009 on a frame over 64 KiB', async () => {
      const { socket } = await loggedIn();
      socket.raw.send(JSON.stringify({ type: 'chat:send', data: { room: 'x', text: 'a'.repeat(64 * 1024) } }));
      expect((await socket.closed).code).toBe(1009);
    });
  });

  describe('whoami and in-band re-auth', () => {
    it('whoami acks subject, permissions, expiresAt in ms and version 1', async () => {
      const { user, tokens, socket } = await loggedIn();
      const me = await socket.emitWithAck('whoami');
      expect(me).toEqual({ subject: user, permissions: expect.any(Array), expiresAt: tokens.expiresAt, version: 1 });
      expect([...me.permissions].sort()).toEqual(CHAT_SCOPES);
    });

    it('auth:refresh with a token from POST /auth/refresh acks ok and whoami version goes up by one each time', async () => {
      const { tokens, socket } = await loggedIn();
      let current = tokens;
      for (const version of [2, 3]) {
        current = await refresh(main.url, current.refreshToken);
        expect(await socket.emitWithAck('auth:refresh', { token: current.accessToken })).toEqual(
          expect.objectContaining({ ok: true, expiresAt: current.expiresAt }),
        );
        expect(await socket.emitWithAck('whoami')).toMatchObject({ version, expiresAt: current.expiresAt });
      }
    });

    it('auth:refresh with another user’s token is refused and the context in force stays', async () => {
      const { user, socket } = await loggedIn();
      const stranger = await login(main.url, uniqueUser());
      expect(await socket.emitWithAck('auth:refresh', { token: stranger.accessToken })).toEqual({
        ok: false,
        error: { code: 'AUTH_IDENTITY_MISMATCH', action: 'login', message: expect.any(String) },
      });
      expect(await socket.emitWithAck('whoami')).toMatchObject({ subject: user, version: 1 });
    });
  });

  describe('chat', () => {
    it('chat:send is acked with its id and pushed as chat:message to the members of the room only', async () => {
      const [alice, bob, carol] = [await loggedIn(), await loggedIn(), await loggedIn()];
      const [room, otherRoom] = [uniqueRoom(), uniqueRoom()];
      await alice.socket.emitWithAck('chat:join', { room });
      await bob.socket.emitWithAck('chat:join', { room });
      await carol.socket.emitWithAck('chat:join', { room: otherRoom });
      const carolGot = record(carol.socket);
      const received = [nextPush(alice.socket, 'chat:message'), nextPush(bob.socket, 'chat:message')];

      expect(await alice.socket.emitWithAck('chat:send', { room, text: 'hello room', id: 'msg-1' })).toEqual({ ok: true, id: 'msg-1' });
      const expected = { room, text: 'hello room', from: alice.user, id: 'msg-1' };
      expect(await Promise.all(received)).toEqual([expected, expected]);
      // Carol's own room's message arrives after anything sent to her earlier: she got nothing from the other room.
      const own = nextPush(carol.socket, 'chat:message');
      await carol.socket.emitWithAck('chat:send', { room: otherRoom, text: 'elsewhere' });
      await own;
      expect(carolGot.map((entry) => (entry.data as { text: string }).text)).toEqual(['elsewhere']);
    });

    it('a repeated id from the same subject is acknowledged again but not pushed again; without an id one is generated', async () => {
      const { socket } = await loggedIn();
      const room = uniqueRoom();
      await socket.emitWithAck('chat:join', { room });
      const log = record(socket);
      expect(await socket.emitWithAck('chat:send', { room, text: 'once', id: 'dup' })).toEqual({ ok: true, id: 'dup' });
      expect(await socket.emitWithAck('chat:send', { room, text: 'once', id: 'dup' })).toEqual({ ok: true, id: 'dup' });
      const generated = await socket.emitWithAck('chat:send', { room, text: 'no id' });
      expect(generated).toEqual({ ok: true, id: expect.any(String) });
      await socket.emitWithAck('whoami');
      expect(log.map((entry) => entry.data)).toEqual([
        expect.objectContaining({ text: 'once', id: 'dup' }),
        expect.objectContaining({ text: 'no id', id: generated.id }),
      ]);
    });

    it('events without their permission are acked AUTH_FORBIDDEN and the socket stays; malformed payloads get BAD_REQUEST', async () => {
      const { user, socket } = await loggedIn({ scopes: ['chat:read'] });
      await expect(socket.emitWithAck('chat:send', { room: uniqueRoom(), text: 'x' })).toBeForbidden({ action: 'none' });
      expect(await socket.emitWithAck('admin:announce', { text: 'x' })).toEqual(FORBIDDEN);
      expect(await socket.emitWithAck('no:such-event', {})).toEqual(FORBIDDEN);
      expect(await socket.emitWithAck('chat:join', { room: 42 })).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: expect.any(String) } });
      const writer = (await loggedIn({ scopes: ['chat:write'] })).socket;
      expect(await writer.emitWithAck('chat:join', { room: uniqueRoom() })).toEqual(FORBIDDEN);
      expect(await socket.emitWithAck('whoami')).toMatchObject({ subject: user });
    });

    it('admin:announce with chat:admin acks { ok: true } and every connection gets chat:announcement', async () => {
      const listener = (await loggedIn()).socket;
      const heard = nextPush(listener, 'chat:announcement');
      const admin = await connectAs(wsUrlOf(main), await adminToken());
      expect(await admin.emitWithAck('admin:announce', { text: 'maintenance' })).toEqual({ ok: true });
      expect(await heard).toEqual({ text: 'maintenance' });
    });
  });

  describe('rooms follow current authorization', () => {
    it('a staff- room needs chat:admin too; a refused join is AUTH_FORBIDDEN and the socket is not in the room', async () => {
      const reader = (await loggedIn({ scopes: ['chat:read'] })).socket;
      const staffRoom = `staff-${uniqueRoom()}`;
      expect(await reader.emitWithAck('chat:join', { room: staffRoom })).toEqual(FORBIDDEN);
      const staff = await connectAs(wsUrlOf(main), await mint({ sub: uniqueUser('staff'), scope: 'chat:read chat:write chat:admin' }));
      expect(await staff.emitWithAck('chat:join', { room: staffRoom })).toEqual({ ok: true });
      const readerLog = record(reader);
      const own = nextPush(staff, 'chat:message');
      await staff.emitWithAck('chat:send', { room: staffRoom, text: 'staff only' });
      await own;
      await reader.emitWithAck('whoami');
      expect(readerLog).toEqual([]);
      // Case-sensitive: `Staff-` is an ordinary room.
      expect(await reader.emitWithAck('chat:join', { room: `Staff-${uniqueRoom()}` })).toEqual({ ok: true });
    });

    it('a re-auth that drops a permission leaves the rooms it no longer allows (auth:room-left before the ack), keeps the others', async () => {
      const user = uniqueUser('staff');
      const sid = `sid-${user}`;
      const socket = await connectAs(wsUrlOf(main), await mint({ sub: user, sid, scope: 'chat:read chat:write chat:admin' }));
      const [lobby, staffRoom] = [uniqueRoom(), `staff-${uniqueRoom()}`];
      await socket.emitWithAck('chat:join', { room: lobby });
      await socket.emitWithAck('chat:join', { room: staffRoom });
      const log = record(socket);

      const ack = await socket.emitWithAck('auth:refresh', { token: await mint({ sub: user, sid, scope: 'chat:read chat:write' }) });

      expect(ack).toMatchObject({ ok: true, version: 2 });
      expect(log).toEqual([{ type: 'auth:room-left', data: { room: staffRoom, code: 'AUTH_FORBIDDEN', action: 'none' } }]);
      // From now on nothing sent to the staff room reaches it; the lobby still does.
      const admin = await connectAs(wsUrlOf(main), await mint({ sub: uniqueUser('root'), scope: 'chat:read chat:write chat:admin' }));
      await admin.emitWithAck('chat:join', { room: staffRoom });
      await admin.emitWithAck('chat:send', { room: staffRoom, text: 'not for you' });
      const lobbyMessage = nextPush(socket, 'chat:message');
      await admin.emitWithAck('chat:send', { room: lobby, text: 'for everyone' });
      expect(await lobbyMessage).toMatchObject({ room: lobby, text: 'for everyone' });
      expect(log.filter((entry) => entry.type === 'chat:message').map((entry) => (entry.data as { text: string }).text)).toEqual(['for everyone']);
      expect(await socket.emitWithAck('whoami')).toMatchObject({ version: 2, permissions: expect.not.arrayContaining(['chat:admin']) });
    });
    it('POST /admin/restrict evicts the subject from the rooms a denied permission guarded, answers { affected }, and withholds it from then on', async () => {
      const user = uniqueUser('restricted');
      const socket = await connectAs(wsUrlOf(main), await mint({ sub: user, scope: 'chat:read chat:write chat:admin' }));
      const [lobby, staffRoom] = [uniqueRoom(), `staff-${uniqueRoom()}`];
      await socket.emitWithAck('chat:join', { room: lobby });
      await socket.emitWithAck('chat:join', { room: staffRoom });
      const log = record(socket);

      const answer = await post(main.url, '/admin/restrict', { subject: user, deny: ['chat:admin'] }, { authorization: `Bearer ${await adminToken()}` });

      expect(answer).toMatchObject({ status: 200, body: { affected: 1 } });
      expect(log).toEqual([{ type: 'auth:room-left', data: { room: staffRoom, code: 'AUTH_FORBIDDEN', action: 'none' } }]);
      const admin = await connectAs(wsUrlOf(main), await mint({ sub: uniqueUser('root'), scope: 'chat:read chat:write chat:admin' }));
      await admin.emitWithAck('chat:join', { room: staffRoom });
      await admin.emitWithAck('chat:send', { room: staffRoom, text: 'not for you' });
      const lobbyMessage = nextPush(socket, 'chat:message');
      await admin.emitWithAck('chat:send', { room: lobby, text: 'for everyone' });
      await lobbyMessage;
      expect(log.filter((entry) => entry.type === 'chat:message').map((entry) => (entry.data as { text: string }).text)).toEqual(['for everyone']);
      expect(await socket.emitWithAck('whoami')).toMatchObject({ version: 1, permissions: expect.not.arrayContaining(['chat:admin']) });
      expect(await socket.emitWithAck('chat:join', { room: staffRoom })).toEqual(FORBIDDEN);
    });
  });

  describe('expiry and revocation', () => {
    it('sends auth:expiring at exp - WARN_BEFORE_SEC, then auth:error AUTH_EXPIRED right before closing at exp with 4000–4999', async () => {
      const { tokens, socket } = await loggedIn({ ttlSec: 5 });
      const log = record(socket);
      // A second connection of the session follows the page's flow: on auth:expiring, refresh and re-auth in band.
      const refreshed = await connectAs(wsUrlOf(main), tokens.accessToken);
      const reauthed = nextPush(refreshed, 'auth:expiring').then(async () => {
        const next = await refresh(main.url, tokens.refreshToken);
        return refreshed.emitWithAck('auth:refresh', { token: next.accessToken });
      });

      const close = await socket.closed;
      const closedAt = Date.now();

      expect(log.map((entry) => entry.type)).toEqual(['auth:expiring', 'auth:error', 'close']);
      const warning = log[0]!.data as { expiresAt: number; inMs: number };
      expect(warning).toEqual({ expiresAt: tokens.expiresAt, inMs: expect.any(Number) });
      expect(warning.inMs).toBeGreaterThan(0);
      expect(warning.inMs).toBeLessThanOrEqual(3_000);
      expect(log[1]!.data).toEqual({ code: 'AUTH_EXPIRED', action: 'refresh', message: expect.any(String) });
      expect(close.code).toBeGreaterThanOrEqual(4000);
      expect(close.code).toBeLessThanOrEqual(4999);
      expect(JSON.parse(close.reason)).toMatchObject({ code: 'AUTH_EXPIRED', action: 'refresh' });
      expect(closedAt).toBeGreaterThanOrEqual(tokens.expiresAt - 50);

      expect(await reauthed).toMatchObject({ ok: true });
      expect(refreshed.connected).toBe(true);
      expect(await refreshed.emitWithAck('whoami')).toMatchObject({ version: 2 });
    }, 15_000);

    it('POST /auth/revoke cuts every live connection of a subject (auth:error AUTH_REVOKED, then a 4xxx close) and answers how many', async () => {
      const user = uniqueUser();
      const sessions = [await login(main.url, user), await login(main.url, user)];
      const sockets = await Promise.all(sessions.map((tokens) => connectAs(wsUrlOf(main), tokens.accessToken)));
      const bystander = (await loggedIn()).socket;

      const { status, body } = await postRevoke(main.url, { subject: user }, await adminToken());

      expect(status).toBe(200);
      expect(body).toEqual({ disconnected: 2 });
      for (const socket of sockets) await expect(socket).toBeDisconnectedWith('AUTH_REVOKED', { action: 'login' });
      for (const socket of sockets) expect(JSON.parse((await socket.closed).reason)).toMatchObject({ code: 'AUTH_REVOKED', action: 'login' });
      expect(bystander.connected).toBe(true);
      await expect(connectAs(wsUrlOf(main), sessions[0]!.accessToken)).toBeRefusedWith('AUTH_REVOKED', { action: 'login' });
    });

    it('POST /auth/revoke by session or token id cuts only the matching connection', async () => {
      const user = uniqueUser();
      const [bySession, byToken, kept] = [await loggedIn({ user }), await loggedIn({ user }), await loggedIn({ user })];
      const admin = await adminToken();
      expect((await postRevoke(main.url, { sessionId: decodeJwt(bySession.tokens.accessToken)['sid'] }, admin)).body).toEqual({ disconnected: 1 });
      expect((await postRevoke(main.url, { tokenId: decodeJwt(byToken.tokens.accessToken).jti }, admin)).body).toEqual({ disconnected: 1 });
      await expect(bySession.socket).toBeDisconnectedWith('AUTH_REVOKED');
      await expect(byToken.socket).toBeDisconnectedWith('AUTH_REVOKED');
      expect(await kept.socket.emitWithAck('whoami')).toMatchObject({ subject: user, version: 1 });
    });

    it('a reused refresh token is refused with 401 and revokes the whole session: its live connections are cut', async () => {
      const { user, tokens: first, socket: firstSocket } = await loggedIn();
      const second = await refresh(main.url, first.refreshToken);
      const secondSocket = await connectAs(wsUrlOf(main), second.accessToken);
      const otherSession = await connectAs(wsUrlOf(main), (await login(main.url, user)).accessToken);

      expect((await post(main.url, '/auth/refresh', { refreshToken: first.refreshToken })).status).toBe(401);

      await expect(firstSocket).toBeDisconnectedWith('AUTH_REVOKED', { action: 'login' });
      await expect(secondSocket).toBeDisconnectedWith('AUTH_REVOKED', { action: 'login' });
      await expect(connectAs(wsUrlOf(main), second.accessToken)).toBeRefusedWith('AUTH_REVOKED');
      expect(await otherSession.emitWithAck('whoami')).toMatchObject({ subject: user });
    });
  });

  describe('without JWT_SECRET', () => {
    it('generates a secret: tokens from POST /auth/login work, tokens signed with any other secret are refused', async () => {
      const user = uniqueUser();
      const tokens = await login(noSecret.url, user);
      const socket = await connectAs(wsUrlOf(noSecret), tokens.accessToken);
      expect(await socket.emitWithAck('whoami')).toMatchObject({ subject: user, version: 1 });
      const next = await refresh(noSecret.url, tokens.refreshToken);
      expect(await socket.emitWithAck('auth:refresh', { token: next.accessToken })).toMatchObject({ ok: true });
      await expect(connectAs(wsUrlOf(noSecret), await mint({ sub: uniqueUser() }))).toBeRefusedWith('AUTH_INVALID');
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
