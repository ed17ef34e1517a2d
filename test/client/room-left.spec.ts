/**
 * `@sockauth/client` surfaces `auth:room-left` as its typed `roomLeft` event, from a real server over the wire.
 * The server here sends the event on request (what sockauth sends after an eviction, plus malformed variants a
 * misbehaving server could send), so the client's parsing is checked on exactly what arrives.
 */
import { createAuthClient, ROOM_LEFT_EVENT, type RoomLeftPayload } from '@sockauth/client';
import { ROOM_LEFT_EVENT as SERVER_ROOM_LEFT_EVENT } from '@sockauth/core/protocol';
import { closeAfterTest, closeAll } from '@sockauth/testing';
import { nextEvent } from '../support/clients';
import { startServer } from '../support/servers';
import { mint } from '../support/tokens';
import { SignJWT } from 'jose';
import { SECRET, startChat } from './support';

afterEach(closeAll);

it('the client and the server use the same event name', () => {
  expect(ROOM_LEFT_EVENT).toBe(SERVER_ROOM_LEFT_EVENT);
});

it('emits roomLeft with the typed payload, ignores malformed ones, and the connection stays', async () => {
  const server = await startServer({
    auth: { events: { whoami: null, push: null } },
    setup: (io) =>
      io.on('connection', (socket) => {
        socket.on('push', (payloads: unknown[], ack: (v: unknown) => void) => {
          for (const payload of payloads) socket.emit(ROOM_LEFT_EVENT, payload);
          ack({ ok: true });
        });
      }),
  });
  const token = await mint({ sub: 'alice' });
  const client = createAuthClient({
    url: server.url,
    io: { transports: ['websocket'] },
    getToken: () => token,
    refresh: async () => ({ token }),
  });
  closeAfterTest(() => client.close());
  const left: RoomLeftPayload[] = [];
  client.on('roomLeft', (info) => left.push(info));
  const connected = nextEvent(client.socket, 'connect');
  client.connect();
  await connected;

  const valid = { room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' };
  await client.emitWithAck('push', [
    { room: '', code: 'AUTH_FORBIDDEN', action: 'none' },
    { room: 'x', code: 'NOT_A_CODE', action: 'none' },
    'garbage',
    null,
    // The action is the taxonomy's for the code, whatever a server says.
    { room: 'general', code: 'AUTH_UNAVAILABLE', action: 'login' },
    valid,
  ]);
  expect(left).toEqual([
    { room: 'general', code: 'AUTH_UNAVAILABLE', action: 'retry' },
    { room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' },
  ]);
  expect(client.state).toBe('authenticated');
  expect(client.socket.connected).toBe(true);
});

it('against the demo: POST /admin/restrict evicts a client from a staff room and it gets roomLeft', async () => {
  const chat = await startChat();
  const user = `alice-${Math.random().toString(36).slice(2, 8)}`;
  const key = new TextEncoder().encode(SECRET);
  const sign = (sub: string, scope: string) =>
    new SignJWT({ scope })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(sub)
      .setIssuer('sockauth-demo')
      .setAudience('sockauth-demo')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
  const token = await sign(user, 'chat:read chat:write chat:admin');
  const client = createAuthClient({ url: chat.url, io: { transports: ['websocket'] }, getToken: () => token, refresh: async () => ({ token }) });
  closeAfterTest(() => client.close());
  const connected = nextEvent(client.socket, 'connect');
  client.connect();
  await connected;
  expect(await client.emitWithAck('chat:join', { room: 'staff-ops' })).toEqual({ ok: true });
  const left = new Promise<RoomLeftPayload>((resolve) => client.on('roomLeft', resolve));

  const answer = await fetch(`${chat.url}/admin/restrict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await sign('root', 'chat:admin')}` },
    body: JSON.stringify({ subject: user, deny: ['chat:admin'] }),
  });
  expect(await answer.json()).toEqual({ affected: 1 });
  await expect(left).resolves.toEqual({ room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' });
  expect(client.state).toBe('authenticated');
});
