/**
 * How a socket is cut (expiry, revocation, flood): `auth:error` then Socket.IO's disconnect packet, in that order,
 * whatever the transport (WebSocket, packets already queued, long-polling, compression).
 */
import { MemoryRevocationStore } from '@sockauth/core';
import { closeAll, connectAs, type ClientSocket } from '@sockauth/testing';
import { client, connectOutcome, nextEvent, record, type ClientOptions } from '../../../test/support/clients';
import { startServer, type StartServerOptions } from '../../../test/support/servers';
import { expAtLeast, mint } from '../../../test/support/tokens';

afterEach(closeAll);

const REVOKED = { code: 'AUTH_REVOKED', action: 'login', message: expect.any(String) };
const EXPIRED = { code: 'AUTH_EXPIRED', action: 'refresh', message: expect.any(String) };

/** A server with a memory store whose revocations cut synchronously, and one connected client. */
async function connected(clientOptions: ClientOptions = {}, serverOptions: StartServerOptions = {}) {
  const store = new MemoryRevocationStore();
  const server = await startServer({ ...serverOptions, auth: { revocationStore: store, events: { whoami: null } } });
  const socket = client(server.url, { ...clientOptions, auth: { token: await mint({ sub: 'alice' }) } });
  expect((await connectOutcome(socket)).connected).toBe(true);
  const serverSocket = server.io.of('/').sockets.get(socket.id!)!;
  return { server, store, socket, serverSocket, log: record(socket) };
}

/** Resolves once the client was disconnected. */
function gone(socket: ClientSocket): Promise<unknown> {
  return nextEvent(socket, 'disconnect');
}

test('packets queued before the cut are delivered first, then auth:error, then the disconnect', async () => {
  const { store, socket, serverSocket, log } = await connected();
  const disconnected = gone(socket);

  // The second emit waits in Engine.IO's buffer for the first write's callback when the cut comes.
  serverSocket.emit('news', 1);
  serverSocket.emit('news', 2);
  await store.revokeSubject('alice');

  expect(await disconnected).toBe('io server disconnect');
  expect(log.map((entry) => [entry.kind, entry.args[0]])).toEqual([
    ['news', 1],
    ['news', 2],
    ['auth:error', REVOKED],
    ['disconnect', 'io server disconnect'],
  ]);
});

test.each<[string, ClientOptions, StartServerOptions]>([
  ['over a WebSocket', {}, {}],
  ['over HTTP long-polling', { transports: ['polling'] }, {}],
  ['with permessage-deflate', {}, { io: { perMessageDeflate: { threshold: 0 } } }],
])('%s, the client is told and disconnected the same way', async (_name, clientOptions, serverOptions) => {
  const { store, socket, log } = await connected(clientOptions, serverOptions);
  const disconnected = gone(socket);

  await store.revokeSubject('alice');

  expect(await disconnected).toBe('io server disconnect');
  expect(log.map((entry) => [entry.kind, entry.args[0]])).toEqual([
    ['auth:error', REVOKED],
    ['disconnect', 'io server disconnect'],
  ]);
});

test('200 sockets whose tokens share one exp are each told AUTH_EXPIRED, then disconnected, once', async () => {
  const expired: string[] = [];
  const server = await startServer({ auth: { events: { whoami: null }, warnBeforeSec: 0, hooks: { onExpire: (info) => expired.push(info.socketId) } } });
  // Room for 200 handshakes on a loaded machine before the shared exp (a socket still connecting at exp is refused).
  const exp = expAtLeast(4000);
  const token = await mint({ sub: 'alice' }, { exp });
  const sockets = await Promise.all(Array.from({ length: 200 }, () => connectAs(server.url, token)));
  const logs = sockets.map((socket) => record(socket));

  await Promise.all(sockets.map((socket) => gone(socket)));

  expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
  for (const log of logs) {
    expect(log.map((entry) => [entry.kind, entry.args[0]])).toEqual([
      ['auth:error', EXPIRED],
      ['disconnect', 'io server disconnect'],
    ]);
  }
  expect(new Set(expired).size).toBe(200);
  expect(server.auth.size).toBe(0);
});
