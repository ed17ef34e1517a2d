/**
 * @sockauth/client's WebSocket flavour against the real demo chat on plain WebSockets (examples/ws-chat on
 * @sockauth/ws, in process, loopback, free port), with short-lived tokens and a server that cuts exactly at `exp`
 * (CLOCK_TOLERANCE_SEC=0, WARN_BEFORE_SEC=1).
 */
import { isAuthError } from '@sockauth/core';
import { closeAll } from '@sockauth/testing';
import { decodeJwt } from 'jose';
import { mint } from '../../../test/contract/helpers';
import { SECRET, Session, reach, recordStates, startWsChat, wsAuthClient } from '../../../test/client/support';

afterEach(closeAll);

const user = (prefix: string): string => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

/** An operator's token, minted with the server's secret (valid 5 minutes, or with the given `exp`). */
function operatorToken(claims: Record<string, unknown>, exp?: number): Promise<string> {
  return mint(claims, { secret: SECRET, ...(exp === undefined ? { ttlSec: 300 } : { exp }) });
}

it('login → connect → refreshes in band before expiry on the same connection: version 2 then 3, no reconnect', async () => {
  const chat = await startWsChat();
  const session = new Session(chat.url);
  const first = await session.login(user('alice'), { ttlSec: 4 });
  const client = wsAuthClient(chat.wsUrl, session, { refreshWindow: { startSec: 2, endSec: 1 } });
  const refreshed: number[] = [];
  client.on('refreshed', ({ version }) => refreshed.push(version));
  await reach(client, 'authenticated');
  expect(client.status).toMatchObject({ socketId: 'ws-1', version: 1, expiresAt: first.expiresAt });

  await new Promise<void>((resolve) => client.on('refreshed', ({ version }) => version === 3 && resolve()));

  expect(refreshed).toEqual([2, 3]);
  expect(client.status).toMatchObject({ state: 'authenticated', socketId: 'ws-1', version: 3 });
  expect(Date.now()).toBeGreaterThan(first.expiresAt); // outlived its first token
  expect(await client.emitWithAck('whoami')).toMatchObject({ version: 3, expiresAt: session.tokens!.expiresAt });
}, 20_000);

it('a revoked session: unauthenticated once with AUTH_REVOKED, no reconnect', async () => {
  const chat = await startWsChat();
  const session = new Session(chat.url);
  const name = user('bob');
  await session.login(name);
  const client = wsAuthClient(chat.wsUrl, session);
  const states = recordStates(client);
  const unauthenticated = jest.fn();
  client.on('unauthenticated', unauthenticated);
  await reach(client, 'authenticated');

  const response = await fetch(`${chat.url}/auth/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await operatorToken({ sub: 'root', scope: 'chat:admin' })}` },
    body: JSON.stringify({ subject: name }),
  });
  expect(await response.json()).toEqual({ disconnected: 1 });

  await reach(client, 'unauthenticated');
  expect(unauthenticated).toHaveBeenCalledTimes(1);
  expect(unauthenticated.mock.calls[0][0]).toMatchObject({ code: 'AUTH_REVOKED', action: 'login' });
  expect(states).toEqual(['connecting', 'authenticated', 'unauthenticated']);
  expect(chat.wsAuth.size).toBe(0);
});

it('an expired token at the handshake (close 4200) gets a fresh token from refresh() and connects with it', async () => {
  const chat = await startWsChat();
  const session = new Session(chat.url);
  await session.login(user('carol'));
  const expired = await operatorToken({ sub: 'carol', scope: 'chat:read' }, Math.floor(Date.now() / 1000) - 10);
  let first = true;
  const client = wsAuthClient(chat.wsUrl, session, {
    getToken: () => (first ? ((first = false), expired) : session.getToken()),
  });
  const errors: string[] = [];
  client.on('error', (error) => errors.push(error.code));
  const states = recordStates(client);
  await reach(client, 'authenticated');
  expect(errors).toEqual(['AUTH_EXPIRED']);
  // The refused upgrade was never reported as authenticated: the expiry is handled as a refusal, then one connection.
  expect(states).toEqual(['connecting', 'expired', 'connecting', 'authenticated']);
  expect(session.refreshes).toBe(1);
  expect(client.status.socketId).toBe('ws-1');
});

it('with autoRefresh off the expiry cut leaves it expired until refreshNow(), which reconnects', async () => {
  const chat = await startWsChat();
  const session = new Session(chat.url);
  await session.login(user('dave'), { ttlSec: 2 });
  const client = wsAuthClient(chat.wsUrl, session, { autoRefresh: false });
  await reach(client, 'authenticated');
  await reach(client, 'expired');
  expect(client.status.error).toMatchObject({ code: 'AUTH_EXPIRED' });
  expect(session.refreshes).toBe(0);
  await expect(client.refreshNow()).resolves.toBe(true);
  expect(client.status).toMatchObject({ state: 'authenticated', socketId: 'ws-2', version: 1 });
});

it('a denied event rejects with AUTH_FORBIDDEN and the connection stays; a re-auth with fewer permissions leaves a staff room (roomLeft)', async () => {
  const chat = await startWsChat();
  const sid = `sid-${user('s')}`;
  let token = await operatorToken({ sub: 'erin', sid, scope: 'chat:read chat:write chat:admin' });
  const client = wsAuthClient(chat.wsUrl, new Session(chat.url), {
    getToken: () => token,
    refresh: async () => (token = await operatorToken({ sub: 'erin', sid, scope: 'chat:read chat:write' })),
  });
  await reach(client, 'authenticated');
  await client.emitWithAck('chat:join', { room: 'staff-ops' });
  await client.emitWithAck('chat:join', { room: 'lobby' });
  const left = new Promise((resolve) => client.on('roomLeft', resolve));

  await expect(client.refreshNow()).resolves.toBe(true);

  expect(await left).toEqual({ room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' });
  expect(decodeJwt(token)['scope']).toBe('chat:read chat:write');
  const denied = await client.emitWithAck('admin:announce', { text: 'x' }).catch((error: unknown) => error);
  expect(isAuthError(denied) && denied.code).toBe('AUTH_FORBIDDEN');
  expect(client.status).toMatchObject({ state: 'authenticated', socketId: 'ws-1', version: 2 });
});
