import { isAuthError } from '@sockauth/core/errors';
import { closeAfterTest } from '@sockauth/testing';
import { WebSocket } from 'ws';
import {
  EmitError,
  createWebSocketAuthClient,
  type AuthClientState,
  type RoomLeftPayload,
  type WebSocketAuthClient,
  type WebSocketAuthClientOptions,
} from '../src/index.js';
import { fakeToken } from './fake-socket.js';
import { FakeWsServer } from './fake-ws-server.js';

/** A JWT-shaped token valid for `ttlSec` (the client only reads `exp`/`iat`; the fake server trusts what it sees). */
function token(ttlSec = 600, n = 0): string {
  const iat = Math.floor(Date.now() / 1000);
  return fakeToken({ iat, exp: iat + ttlSec, n });
}

interface Harness {
  server: FakeWsServer;
  client: WebSocketAuthClient;
  states: AuthClientState[];
  refresh: jest.Mock<Promise<string>, []>;
  current(): string;
}

async function setup(options: Partial<WebSocketAuthClientOptions> = {}, server?: FakeWsServer): Promise<Harness> {
  const wsServer = server ?? (await FakeWsServer.start());
  let n = 0;
  let current = token(600, n);
  const refresh = jest.fn(async () => (current = token(600, ++n)));
  const client = createWebSocketAuthClient({
    url: wsServer.url,
    WebSocket,
    getToken: () => current,
    refresh,
    backoff: { baseMs: 10, capMs: 20, maxAttempts: 3 },
    ackTimeoutMs: 2_000,
    ...options,
  });
  closeAfterTest(() => client.close());
  const states: AuthClientState[] = [];
  client.subscribe(({ state }) => {
    if (states[states.length - 1] !== state) states.push(state);
  });
  return { server: wsServer, client, states, refresh, current: () => current };
}

/** Resolves once the client is in `state`. */
function reach(client: WebSocketAuthClient, state: AuthClientState): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`state ${client.state}, expected ${state}`)), 5_000);
    const stop = client.subscribe((status) => {
      if (status.state !== state) return;
      clearTimeout(timer);
      queueMicrotask(() => stop());
      resolve();
    });
  });
}

describe('handshake', () => {
  it('presents the token in the subprotocols, the server selects sockauth, and requests are { type, id, data } frames', async () => {
    const h = await setup();
    await reach(h.client, 'authenticated');
    expect(h.server.handshakes).toEqual([
      { token: h.current(), protocols: ['sockauth', `sockauth.bearer.${h.current()}`], authorization: undefined, selected: 'sockauth' },
    ]);
    expect(h.client.status).toMatchObject({ state: 'authenticated', socketId: 'ws-1', version: 1 });
    await expect(h.client.emitWithAck('whoami')).resolves.toEqual({ echo: undefined });
    await expect(h.client.emitWithAck('chat:send', { room: 'lobby', text: 'hi' })).resolves.toEqual({ echo: { room: 'lobby', text: 'hi' } });
    expect(h.server.received.map(({ type, id }) => ({ type, id }))).toEqual([
      { type: 'whoami', id: 1 },
      { type: 'chat:send', id: 2 },
    ]);
  });

  it("credentials: 'header' sends Authorization: Bearer with ws, and no token in the subprotocols", async () => {
    const h = await setup({ credentials: 'header', wsOptions: { headers: { 'x-app': 'demo' } } });
    await reach(h.client, 'authenticated');
    expect(h.server.handshakes).toEqual([{ token: h.current(), protocols: ['sockauth'], authorization: `Bearer ${h.current()}`, selected: 'sockauth' }]);
  });

  it('a refused handshake (4xxx close with { code, action }, action login) ends the session: one event, no reconnect', async () => {
    const server = await FakeWsServer.start();
    server.verdict = () => ({ close: 4003, code: 'AUTH_REVOKED', action: 'login' });
    const h = await setup({}, server);
    const unauthenticated = jest.fn();
    h.client.on('unauthenticated', unauthenticated);
    await reach(h.client, 'unauthenticated');
    expect(unauthenticated).toHaveBeenCalledTimes(1);
    expect(unauthenticated.mock.calls[0][0]).toMatchObject({ code: 'AUTH_REVOKED', action: 'login' });
    expect(h.client.status.error?.code).toBe('AUTH_REVOKED');
    expect(server.handshakes).toHaveLength(1);
    // Upgraded, then closed before the server answered the probe: never reported as authenticated.
    expect(h.states).toEqual(['connecting', 'unauthenticated']);
    await expect(h.client.emitWithAck('whoami')).rejects.toMatchObject({ code: 'AUTH_REVOKED' });
  });

  it('an AUTH_EXPIRED refusal (action refresh) gets a fresh token and reconnects with it', async () => {
    const server = await FakeWsServer.start();
    let refused = false;
    server.verdict = () => (refused ? 'accept' : ((refused = true), { close: 4002, code: 'AUTH_EXPIRED', action: 'refresh' }));
    const h = await setup({}, server);
    const first = h.current();
    await server.until(() => server.handshakes.length === 2);
    await reach(h.client, 'authenticated');
    expect(h.refresh).toHaveBeenCalledTimes(1);
    expect(server.handshakes.map((hs) => hs.token)).toEqual([first, h.current()]);
    expect(h.states).toContain('expired');
  });

  it('a policy refusal (AUTH_FORBIDDEN, action none) stops in forbidden without refresh()', async () => {
    const server = await FakeWsServer.start();
    server.verdict = () => ({ close: 4008, code: 'AUTH_FORBIDDEN', action: 'none' });
    const h = await setup({}, server);
    await reach(h.client, 'forbidden');
    expect(h.refresh).not.toHaveBeenCalled();
    expect(server.handshakes).toHaveLength(1);
  });

  it('an upgrade the server never confirms (no answer to the probe) is dropped after ackTimeoutMs and retried within the budget', async () => {
    const server = await FakeWsServer.start();
    server.silent = true;
    const h = await setup({ ackTimeoutMs: 150, backoff: { baseMs: 10, capMs: 20, maxAttempts: 1 } }, server);
    await reach(h.client, 'disconnected');
    expect(server.handshakes).toHaveLength(2);
    expect(h.states).not.toContain('authenticated');
    await server.until(() => server.sockets.every((socket) => socket.readyState === WebSocket.CLOSED));
  });

  it('an unreachable server (no upgrade) is retried within the budget, then disconnected', async () => {
    const server = await FakeWsServer.start();
    const url = server.url.replace('/ws', '/nowhere'); // the ws server answers 400 there
    const h = await setup({ url }, server);
    await reach(h.client, 'disconnected');
    expect(h.client.status.attempt).toBe(3);
    expect(h.client.status.error).toBeUndefined();
  });
});

describe('after the handshake', () => {
  it('a cut (auth:error, then a 4xxx close) follows the taxonomy: AUTH_REVOKED → unauthenticated', async () => {
    const h = await setup();
    await reach(h.client, 'authenticated');
    const errors: string[] = [];
    h.client.on('error', (error) => errors.push(error.code));
    h.server.cut(4003, 'AUTH_REVOKED', 'login');
    await reach(h.client, 'unauthenticated');
    expect(errors).toEqual(['AUTH_REVOKED']);
    expect(h.server.handshakes).toHaveLength(1);
  });

  it('an expiry cut reconnects at once with a fresh token; the connection number moves on', async () => {
    const h = await setup();
    await reach(h.client, 'authenticated');
    h.server.cut(4002, 'AUTH_EXPIRED', 'refresh');
    await h.server.until(() => h.server.handshakes.length === 2);
    await reach(h.client, 'authenticated');
    expect(h.refresh).toHaveBeenCalledTimes(1);
    expect(h.server.handshakes[1]!.token).toBe(h.current());
    expect(h.client.status.socketId).toBe('ws-2');
  });

  it('a close without a sockauth reason is a plain disconnection: 1000 stays disconnected, 1012 reconnects', async () => {
    const h = await setup();
    await reach(h.client, 'authenticated');
    h.server.sockets[0]!.close(1012, 'restart');
    await h.server.until(() => h.server.handshakes.length === 2);
    await reach(h.client, 'authenticated');
    expect(h.refresh).not.toHaveBeenCalled();
    // A 4xxx close whose reason is not sockauth's is not an auth decision either.
    h.server.sockets[1]!.close(4000, 'app says bye');
    await reach(h.client, 'disconnected');
    expect(h.client.status).toMatchObject({ error: undefined, disconnectReason: 'close 4000' });
    expect(h.server.handshakes).toHaveLength(2);
  });

  it('a 4xxx close with a code the client does not know (a newer server) is retried within the budget, never a stop', async () => {
    const server = await FakeWsServer.start();
    server.verdict = () => ({ close: 4150, code: 'AUTH_SOMETHING_NEW', action: 'login' });
    const h = await setup({}, server);
    await reach(h.client, 'disconnected');
    expect(server.handshakes).toHaveLength(4); // the first attempt and maxAttempts (3) retries
    expect(h.states).not.toContain('unauthenticated');
  });

  it('a denied event rejects with its AuthError; the connection stays', async () => {
    const h = await setup();
    h.server.answer = (frame) => (frame.type === 'admin:announce' ? { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: 'no' } } : { ok: true });
    await reach(h.client, 'authenticated');
    const denied = await h.client.emitWithAck('admin:announce', { text: 'x' }).catch((error: unknown) => error);
    expect(isAuthError(denied) && denied.code).toBe('AUTH_FORBIDDEN');
    await expect(h.client.emitWithAck('whoami')).resolves.toEqual({ ok: true });
    expect(h.client.state).toBe('authenticated');
  });

  it('no ack in time rejects EmitError timeout; a drop rejects what is in flight at once, disconnected', async () => {
    const h = await setup({ ackTimeoutMs: 200 });
    h.server.answer = () => undefined;
    await reach(h.client, 'authenticated');
    await expect(h.client.emitWithAck('whoami')).rejects.toMatchObject({ reason: 'timeout' });
    const inFlight = h.client.emitWithAck('whoami').catch((error: unknown) => error);
    await h.server.until(() => h.server.received.length === 2);
    h.server.sockets[0]!.terminate();
    const error = await inFlight;
    expect(error).toBeInstanceOf(EmitError);
    expect((error as EmitError).reason).toBe('disconnected');
  });

  it('idempotent(): an ack lost to a drop is resent with the same id once reconnected', async () => {
    const h = await setup();
    let drop = true;
    h.server.answer = (frame) => {
      if (frame.type !== 'chat:send') return { ok: true };
      if (drop) {
        drop = false;
        frame.socket.terminate();
        return undefined;
      }
      return { ok: true, id: (frame.data as { id: string }).id };
    };
    await reach(h.client, 'authenticated');
    const { id } = (await h.client.idempotent().emitWithAck('chat:send', { room: 'r', text: 'hi' })) as { id: string };
    const sends = h.server.frames('chat:send').map((frame) => frame.data);
    expect(sends).toEqual([{ room: 'r', text: 'hi', id }, { room: 'r', text: 'hi', id }]);
    expect(h.server.handshakes).toHaveLength(2);
  });

  it('requests made while connecting are sent once connected; more than one payload is refused', async () => {
    const h = await setup();
    const early = h.client.emitWithAck('whoami');
    await expect(early).resolves.toEqual({ echo: undefined });
    await expect(h.client.emitWithAck('x' as never, 1 as never, 2 as never)).rejects.toThrow(TypeError);
  });

  it('auth:expiring drives an in-band auth:refresh on the same connection: refreshed, version 2', async () => {
    const h = await setup({ refreshWindow: { startSec: 1, endSec: 0.5 } });
    h.server.answer = (frame) =>
      frame.type === 'auth:refresh' ? { ok: true, expiresAt: Date.now() + 600_000, version: 2 } : { ok: true };
    await reach(h.client, 'authenticated');
    const refreshed = new Promise<{ version: number }>((resolve) => h.client.on('refreshed', resolve));
    h.server.push('auth:expiring', { expiresAt: Date.now() + 600, inMs: 600 });
    await expect(refreshed).resolves.toMatchObject({ version: 2 });
    expect(h.server.frames('auth:refresh').map((frame) => frame.data)).toEqual([{ token: h.current() }]);
    expect(h.client.status).toMatchObject({ state: 'authenticated', socketId: 'ws-1', version: 2 });
    expect(h.server.handshakes).toHaveLength(1);
  });

  it('auth:room-left reaches on("roomLeft") typed; app pushes reach listen(); malformed frames are ignored', async () => {
    const h = await setup();
    await reach(h.client, 'authenticated');
    const left: RoomLeftPayload[] = [];
    h.client.on('roomLeft', (info) => left.push(info));
    const messages: unknown[] = [];
    const stop = h.client.listen('chat:message', (message: unknown) => messages.push(message));
    h.server.raw('not json');
    h.server.raw(JSON.stringify({ type: 42 }));
    h.server.raw(JSON.stringify({ type: 'ack', id: 999, data: {} }));
    h.server.push('auth:room-left', { room: 'lobby', code: 'NOT_A_CODE', action: 'none' });
    h.server.push('auth:room-left', { room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' });
    h.server.push('chat:message', { room: 'lobby', text: 'hi', from: 'bob', id: '1' });
    await h.client.emitWithAck('whoami'); // frames arrive in order: everything above was handled
    stop();
    h.server.push('chat:message', { room: 'lobby', text: 'unheard', from: 'bob', id: '2' });
    await h.client.emitWithAck('whoami');
    expect(left).toEqual([{ room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' }]);
    expect(messages).toEqual([{ room: 'lobby', text: 'hi', from: 'bob', id: '1' }]);
    expect(h.client.state).toBe('authenticated');
  });

  it('close() closes the connection, clears everything and reports nothing more', async () => {
    const h = await setup();
    await reach(h.client, 'authenticated');
    h.client.close();
    await h.server.until(() => h.server.sockets[0]!.readyState === WebSocket.CLOSED);
    expect(h.client.state).toBe('closed');
    expect(h.server.handshakes).toHaveLength(1);
  });
});

describe('options', () => {
  const base = { url: 'ws://127.0.0.1:1/ws', WebSocket, refresh: async () => 't', autoConnect: false };

  it('refuses unknown keys and bad values with a TypeError naming the option', () => {
    expect(() => createWebSocketAuthClient({ ...base, socket: {} } as never)).toThrow(/socket/);
    expect(() => createWebSocketAuthClient({ ...base, url: 'ftp://x' })).toThrow(/"url"/);
    expect(() => createWebSocketAuthClient({ ...base, url: '/ws' })).toThrow(/"url"/);
    expect(() => createWebSocketAuthClient({ ...base, credentials: 'cookie' as never })).toThrow(/"credentials"/);
    expect(() => createWebSocketAuthClient({ ...base, WebSocket: 'ws' as never })).toThrow(/"WebSocket"/);
    expect(() => createWebSocketAuthClient({ ...base, wsOptions: [] as never })).toThrow(/wsOptions/);
    expect(() => createWebSocketAuthClient({ ...base, backoff: { baseMs: -1 } })).toThrow(/backoff\.baseMs/);
  });

  it('needs a WebSocket constructor where there is no global one, and maps http(s) URLs to ws(s)', () => {
    const { WebSocket: _ignored, ...withoutCtor } = base;
    const hasGlobal = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
    if (!hasGlobal) expect(() => createWebSocketAuthClient(withoutCtor)).toThrow(/WebSocket/);
    expect(() => createWebSocketAuthClient({ ...base, url: 'https://chat.example.com/ws' })).not.toThrow();
  });
});
