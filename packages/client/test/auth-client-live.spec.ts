/**
 * @sockauth/client against the real demo chat (examples/socketio-chat, in process, loopback, free port), with
 * short-lived tokens and a server that cuts exactly at `exp` (CLOCK_TOLERANCE_SEC=0, WARN_BEFORE_SEC=1).
 */
import { AuthForbiddenError, isAuthError } from '@sockauth/core';
import { ERROR_EVENT, EXPIRING_EVENT, REFRESH_EVENT } from '@sockauth/socket.io';
import * as client from '@sockauth/client';
import { closeAll } from '@sockauth/testing';
import { connect } from '../../../test/support/clients';
import { quietPeriod } from '../../../test/support/async';
import { mint } from '../../../test/contract/helpers';
import { Session, SECRET, TcpProxy, authClient, reach, recordStates, startChat } from '../../../test/client/support';

afterEach(closeAll);

const user = (prefix: string): string => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

async function adminToken(): Promise<string> {
  return mint({ sub: 'root', scope: 'chat:admin' }, { secret: SECRET, ttlSec: 300 });
}

it('speaks the server protocol: same event names as @sockauth/socket.io', () => {
  expect([client.REFRESH_EVENT, client.EXPIRING_EVENT, client.ERROR_EVENT]).toEqual([REFRESH_EVENT, EXPIRING_EVENT, ERROR_EVENT]);
});

it('login → connect → refreshes in band before expiry: same socket id, version 2 then 3, no reconnect', async () => {
  const chat = await startChat();
  const session = new Session(chat.url);
  const first = await session.login(user('alice'), { ttlSec: 4 });
  const c = authClient(chat.url, session);
  const connects: string[] = [];
  c.socket.on('connect', () => connects.push(c.socket.id!));
  const refreshed: number[] = [];
  c.on('refreshed', ({ version }) => refreshed.push(version));
  await reach(c, 'authenticated');
  const socketId = c.status.socketId;
  expect(c.status).toMatchObject({ version: 1, expiresAt: first.expiresAt });

  // Past the first token's expiry (the server would cut at exp exactly), and past a second refresh.
  while (refreshed.length < 2 || Date.now() < first.expiresAt + 500) await quietPeriod(100);

  expect(refreshed.slice(0, 2)).toEqual([2, 3]);
  expect(c.status).toMatchObject({ state: 'authenticated', socketId });
  expect(c.status.expiresAt).toBeGreaterThan(first.expiresAt);
  expect(connects).toEqual([socketId]);
  const me = await c.emitWithAck('whoami');
  expect(me).toMatchObject({ subject: expect.stringMatching(/^alice-/), version: c.status.version, expiresAt: c.status.expiresAt });
}, 20_000);

it('a revoked session: one `unauthenticated` event, then no reconnection attempt at all', async () => {
  const chat = await startChat();
  const session = new Session(chat.url);
  const name = user('mallory');
  await session.login(name);
  const c = authClient(chat.url, session, { backoff: { baseMs: 10, capMs: 50, maxAttempts: 20 } });
  const unauthenticated = jest.fn();
  c.on('unauthenticated', unauthenticated);
  let opens = 0;
  c.socket.io.on('open', () => opens++);
  await reach(c, 'authenticated');
  expect(opens).toBe(1);

  const response = await fetch(`${chat.url}/auth/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await adminToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ subject: name }),
  });
  expect(await response.json()).toEqual({ disconnected: 1 });
  await reach(c, 'unauthenticated');
  expect(c.status.error).toMatchObject({ code: 'AUTH_REVOKED', action: 'login' });
  expect(c.status.disconnectReason).toBe('io server disconnect');

  await quietPeriod(1_000);
  expect(unauthenticated).toHaveBeenCalledTimes(1);
  expect(unauthenticated.mock.calls[0][0]).toMatchObject({ code: 'AUTH_REVOKED' });
  expect(opens).toBe(1);
  expect(session.refreshes).toBe(0);
  expect(c.state).toBe('unauthenticated');
  await expect(c.emitWithAck('whoami')).rejects.toMatchObject({ code: 'AUTH_REVOKED' });
});

it('a denied event rejects with AuthError AUTH_FORBIDDEN and the socket stays', async () => {
  const chat = await startChat();
  const session = new Session(chat.url);
  await session.login(user('reader'), { scopes: ['chat:read'] });
  const c = authClient(chat.url, session);
  await reach(c, 'authenticated');
  const socketId = c.status.socketId;

  const error = await c.emitWithAck('chat:send', { room: 'lobby', text: 'hi' }).catch((e: unknown) => e);
  expect(isAuthError(error)).toBe(true);
  expect(error).toBeInstanceOf(AuthForbiddenError);
  expect(error).toMatchObject({ code: 'AUTH_FORBIDDEN', action: 'none' });
  await expect(c.emitWithAck('chat:join', { room: 'lobby' })).resolves.toEqual({ ok: true });
  expect(c.status).toMatchObject({ state: 'authenticated', socketId });
});

it('server down, then up: reconnects with backoff through the outage, on the same port', async () => {
  const chat = await startChat();
  const proxy = await new TcpProxy(chat.port).up();
  const session = new Session(chat.url);
  await session.login(user('bob'));
  const c = authClient(proxy.url, session, { backoff: { baseMs: 100, capMs: 400, maxAttempts: 50 } });
  const states = recordStates(c);
  await reach(c, 'authenticated');
  const before = c.status.socketId;

  await proxy.down();
  await reach(c, 'connecting');
  expect(c.status.disconnectReason).toBe('transport close');
  // Several refused attempts while down, each after a full-jitter delay of at most min(400, 100 * 2^n) ms.
  while (c.status.attempt < 3) await quietPeriod(50);
  expect(c.state).toBe('connecting');
  await proxy.up();
  await reach(c, 'authenticated');
  expect(c.status.socketId).not.toBe(before);
  expect(c.status.version).toBe(1);
  expect(states).toEqual(['connecting', 'authenticated', 'connecting', 'authenticated']);
  await expect(c.emitWithAck('whoami')).resolves.toMatchObject({ subject: expect.stringMatching(/^bob-/) });
});

it('server unreachable: gives up after maxAttempts, visibly, and stays quiet', async () => {
  const chat = await startChat();
  const proxy = await new TcpProxy(chat.port).up();
  await proxy.down();
  const session = new Session(chat.url);
  await session.login(user('carol'));
  const c = authClient(proxy.url, session, { backoff: { baseMs: 20, capMs: 50, maxAttempts: 3 } });
  let errors = 0;
  c.socket.on('connect_error', () => errors++);
  await reach(c, 'disconnected');
  expect(errors).toBe(4); // the first attempt + 3 retries
  expect(c.status).toMatchObject({ attempt: 3, retryAt: undefined });
  await quietPeriod(500);
  expect(errors).toBe(4);

  // The app decides to try again: a fresh budget.
  await proxy.up();
  c.connect();
  await reach(c, 'authenticated');
});

it('an expired token at the handshake: refreshes over HTTP, then connects', async () => {
  const chat = await startChat();
  const session = new Session(chat.url);
  const tokens = await session.login(user('dave'), { ttlSec: 1 });
  while (Date.now() < tokens.expiresAt + 100) await quietPeriod(50);
  const c = authClient(chat.url, session);
  const errors: string[] = [];
  c.on('error', (error) => errors.push(error.code));
  const states = recordStates(c);
  await reach(c, 'authenticated');
  expect(errors).toEqual(['AUTH_EXPIRED']);
  expect(states).toEqual(['connecting', 'expired', 'connecting', 'authenticated']);
  expect(session.refreshes).toBe(1);
  expect(c.status.expiresAt).toBeGreaterThan(tokens.expiresAt);
});

it('cut at expiry (refresh failing until then): AUTH_EXPIRED → fresh token → reconnects', async () => {
  const chat = await startChat();
  const session = new Session(chat.url);
  const tokens = await session.login(user('erin'), { ttlSec: 2 });
  let offline = true;
  const c = authClient(chat.url, session, {
    refresh: async () => {
      if (offline) throw new TypeError('fetch failed');
      return session.refresh();
    },
    backoff: { baseMs: 50, capMs: 100, maxAttempts: 2 },
  });
  const cut = new Promise<string>((resolve) => c.on('error', (error) => error.code === 'AUTH_EXPIRED' && resolve(error.code)));
  await reach(c, 'authenticated');
  const first = c.status.socketId;
  // In-band refresh attempts fail and give up (bounded); the token runs out and the server cuts the socket.
  await new Promise<void>((resolve) => c.socket.once('disconnect', () => resolve()));
  offline = false;
  expect(await cut).toBe('AUTH_EXPIRED');
  expect(Date.now()).toBeGreaterThanOrEqual(tokens.expiresAt - 50);
  await reach(c, 'authenticated');
  expect(c.status.socketId).not.toBe(first);
  expect(c.status.expiresAt).toBeGreaterThan(tokens.expiresAt);
}, 15_000);

it('idempotent(): a message whose ack is lost to a network cut is resent with the same id and delivered once', async () => {
  const chat = await startChat();
  const proxy = await new TcpProxy(chat.port).up();
  const session = new Session(chat.url);
  const name = user('frank');
  await session.login(name);
  const room = `room-${name}`;
  // A listener connected directly to the server (not through the proxy).
  const listenerSession = new Session(chat.url);
  await listenerSession.login(user('listener'));
  const listener = await connect(chat.url, { auth: { token: listenerSession.tokens!.accessToken } });
  await listener.timeout(5000).emitWithAck('chat:join', { room });
  const received: Array<{ id: string; text: string }> = [];
  listener.on('chat:message', (message: { id: string; text: string }) => received.push(message));

  const c = authClient(proxy.url, session, { backoff: { baseMs: 50, capMs: 200, maxAttempts: 20 }, ackTimeoutMs: 2000 });
  await reach(c, 'authenticated');
  const outgoing: unknown[] = [];
  c.socket.onAnyOutgoing((event: string, payload: unknown) => event === 'chat:send' && outgoing.push(payload));
  const sent = c.idempotent({ attempts: 5 }).emitWithAck('chat:send', { room, text: 'exactly once' });
  // Cut the network right after the emit: the server may or may not have handled it; the ack is lost either way.
  await proxy.down();
  await quietPeriod(200);
  await proxy.up();
  const ack = (await sent) as { ok: boolean; id: string };
  expect(ack).toMatchObject({ ok: true, id: expect.any(String) });
  await quietPeriod(300);
  expect(received).toEqual([{ room, text: 'exactly once', from: name, id: ack.id }]);
  // Sent twice (before and after the cut), with the same id.
  expect(outgoing).toEqual([{ room, text: 'exactly once', id: ack.id }, { room, text: 'exactly once', id: ack.id }]);
});
