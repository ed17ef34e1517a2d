/**
 * Connection state recovery with `skipMiddlewares: true`: Socket.IO restores a socket without running
 * middlewares, so sockauth re-verifies the token the client presents when it comes back. A valid token
 * recovers (rooms, missed packets, a fresh context); a revoked or expired one is refused like a handshake and
 * gets none of the packets it missed.
 */
import type { Socket } from 'socket.io';
import type { Packet } from 'socket.io-parser';
import { serverSocket, whoami } from '../../../test/support/app';
import { deferred, quietPeriod } from '../../../test/support/async';
import { closeAll } from '@sockauth/testing';
import { client, connectOutcome, nextEvent } from '../../../test/support/clients';
import { startServer, type StartServerOptions } from '../../../test/support/servers';
import { expAtLeast, mint, nowSec } from '../../../test/support/tokens';

afterEach(closeAll);

const RECOVERY = { connectionStateRecovery: { maxDisconnectionDuration: 10_000, skipMiddlewares: true } };

async function recoveringServer(io: StartServerOptions['io'] = RECOVERY) {
  const failures: unknown[] = [];
  const connections: Socket[] = [];
  const server = await startServer({
    io,
    auth: { hooks: { onAuthFailure: (info) => failures.push(info) } },
    setup: (io, auth) =>
      io.on('connection', (socket) => {
        connections.push(socket);
        if (!socket.recovered) socket.join('room');
        socket.on('whoami', (ack: (value: unknown) => void) => ack(whoami(auth.contextOf(socket))));
      }),
  });
  return { server, failures, connections };
}

/**
 * Connects a client whose auth callback reads `tokens.current` on every (re)connection, makes sure it has a
 * recovery offset (one broadcast received), then drops its transport abruptly and waits until the server has
 * persisted the session. The client does not reconnect by itself: call `socket.connect()`.
 */
async function connectThenDrop(server: Awaited<ReturnType<typeof recoveringServer>>['server'], tokens: { current: string }) {
  const socket = client(server.url, { auth: (cb) => cb({ token: tokens.current }) });
  expect(await connectOutcome(socket)).toEqual({ connected: true });
  const firstId = socket.id!;
  const received: string[] = [];
  socket.on('news', (text: string) => received.push(text));
  const rawEvents: unknown[] = [];
  socket.io.on('packet', (packet: Packet) => {
    if (packet.type === 2) rawEvents.push(packet.data);
  });

  const first = nextEvent(socket, 'news');
  server.io.to('room').emit('news', 'before');
  await first;

  const serverDisconnect = nextEvent(serverSocket(server.io, firstId), 'disconnect');
  socket.io.engine.close();
  expect(await serverDisconnect).toBe('transport close');
  // Broadcast while the client is away: a recovered socket gets it, a refused one must not.
  server.io.to('room').emit('news', 'missed');
  return { socket, firstId, received, rawEvents };
}

function eventNames(rawEvents: unknown[]): unknown[] {
  return rawEvents.map((data) => (Array.isArray(data) ? data[1] : data));
}

test('a client coming back with a still-valid token is recovered, with a context and the packets it missed', async () => {
  const { server, connections, failures } = await recoveringServer();
  const tokens = { current: await mint({ sub: 'alice', jti: 'first' }) };
  const { socket, firstId, received } = await connectThenDrop(server, tokens);
  const missed = nextEvent(socket, 'news');

  socket.connect();
  expect(await connectOutcome(socket)).toEqual({ connected: true });

  expect(socket.recovered).toBe(true);
  expect(socket.id).toBe(firstId);
  expect(await missed).toBe('missed');
  expect(received).toEqual(['before', 'missed']);
  const recovered = connections.at(-1)!;
  expect(recovered.recovered).toBe(true);
  expect(recovered.data.auth?.subject).toBe('alice');
  expect(server.auth.contextOf(recovered)?.tokenId).toBe('first');
  expect(await socket.emitWithAck('whoami')).toMatchObject({ subject: 'alice', version: 1 });
  expect(server.auth.size).toBe(1);
  expect(failures).toEqual([]);
});

test('a recovered socket is verified with the token it presents now, not the one it had before', async () => {
  const { server, connections } = await recoveringServer();
  const tokens = { current: await mint({ sub: 'alice', jti: 'first', scope: 'chat:read' }) };
  const { socket } = await connectThenDrop(server, tokens);
  const renewedExp = nowSec() + 600;
  tokens.current = await mint({ sub: 'alice', jti: 'renewed', scope: 'chat:read chat:write' }, { exp: renewedExp });

  socket.connect();
  expect(await connectOutcome(socket)).toEqual({ connected: true });

  expect(socket.recovered).toBe(true);
  expect(await socket.emitWithAck('whoami')).toMatchObject({
    tokenId: 'renewed',
    permissions: ['chat:read', 'chat:write'],
    expiresAt: renewedExp * 1000,
  });
  expect(connections.at(-1)?.data.auth?.tokenId).toBe('renewed');
});

test('a recovery presenting another identity\'s valid token is refused with AUTH_IDENTITY_MISMATCH and gets none of the missed packets', async () => {
  const { server, connections, failures } = await recoveringServer();
  const tokens = { current: await mint({ sub: 'alice', sid: 'session-a' }) };
  const { socket, received, rawEvents } = await connectThenDrop(server, tokens);
  tokens.current = await mint({ sub: 'mallory', sid: 'session-a' });
  const connectionsBefore = connections.length;

  socket.connect();
  const outcome = await connectOutcome(socket);

  expect(outcome).toEqual({
    connected: false,
    error: expect.objectContaining({ data: { code: 'AUTH_IDENTITY_MISMATCH', action: 'login' } }),
  });
  expect(received).toEqual(['before']);
  expect(eventNames(rawEvents)).not.toContain('missed');
  expect(connections).toHaveLength(connectionsBefore);
  expect(server.auth.size).toBe(0);
  expect(failures).toEqual([expect.objectContaining({ code: 'AUTH_IDENTITY_MISMATCH', stage: 'recovery' })]);
});

test('a recovery with the same subject but another session id is refused with AUTH_IDENTITY_MISMATCH', async () => {
  const { server } = await recoveringServer();
  const tokens = { current: await mint({ sub: 'alice', sid: 'session-a' }) };
  const { socket } = await connectThenDrop(server, tokens);
  tokens.current = await mint({ sub: 'alice', sid: 'session-b' });

  socket.connect();

  expect(await connectOutcome(socket)).toEqual({
    connected: false,
    error: expect.objectContaining({ data: { code: 'AUTH_IDENTITY_MISMATCH', action: 'login' } }),
  });
});

test('a client whose subject was revoked while away is refused with AUTH_REVOKED and never gets the missed packets', async () => {
  const { server, connections, failures } = await recoveringServer();
  const tokens = { current: await mint({ sub: 'alice' }, { iat: nowSec() - 5 }) };
  const { socket, received, rawEvents } = await connectThenDrop(server, tokens);
  expect(await server.auth.revoke({ subject: 'alice' })).toEqual({ disconnected: 0 });
  const connectionsBefore = connections.length;

  socket.connect();
  const outcome = await connectOutcome(socket);

  expect(outcome).toEqual({ connected: false, error: expect.objectContaining({ data: { code: 'AUTH_REVOKED', action: 'login' } }) });
  expect(received).toEqual(['before']);
  expect(eventNames(rawEvents)).not.toContain('missed');
  expect(connections).toHaveLength(connectionsBefore);
  expect(server.auth.size).toBe(0);
  expect(failures).toEqual([expect.objectContaining({ code: 'AUTH_REVOKED', stage: 'recovery' })]);
});

test('a client whose token expired while away is refused with AUTH_EXPIRED and never gets the missed packets', async () => {
  const { server, connections } = await recoveringServer();
  const exp = expAtLeast(500);
  const tokens = { current: await mint({ sub: 'alice' }, { exp }) };
  const { socket, received, rawEvents } = await connectThenDrop(server, tokens);
  const connectionsBefore = connections.length;
  await quietPeriod(exp * 1000 - Date.now() + 20);

  socket.connect();
  const outcome = await connectOutcome(socket);

  expect(outcome).toEqual({ connected: false, error: expect.objectContaining({ data: { code: 'AUTH_EXPIRED', action: 'refresh' } }) });
  expect(received).toEqual(['before']);
  expect(eventNames(rawEvents)).not.toContain('missed');
  expect(connections).toHaveLength(connectionsBefore);
});

test('a refused recovery followed by a fresh login does not replay the packets missed while revoked', async () => {
  const { server } = await recoveringServer();
  const tokens = { current: await mint({ sub: 'alice' }, { iat: nowSec() - 5 }) };
  const { socket, received } = await connectThenDrop(server, tokens);
  await server.auth.revoke({ subject: 'alice' });
  socket.connect();
  expect((await connectOutcome(socket)).connected).toBe(false);

  tokens.current = await mint({ sub: 'alice' }, { iat: nowSec() + 2 });
  socket.connect();
  expect(await connectOutcome(socket)).toEqual({ connected: true });
  await socket.emitWithAck('whoami');

  expect(received.filter((text) => text === 'missed').length).toBeLessThanOrEqual(1);
});

test('a client coming back with no token is refused with AUTH_MISSING', async () => {
  const { server } = await recoveringServer();
  const tokens = { current: await mint({ sub: 'alice' }) };
  const { socket, rawEvents } = await connectThenDrop(server, tokens);
  tokens.current = '';

  socket.connect();

  expect(await connectOutcome(socket)).toEqual({ connected: false, error: expect.objectContaining({ data: { code: 'AUTH_MISSING', action: 'login' } }) });
  expect(eventNames(rawEvents)).not.toContain('missed');
});

test('the restored socket.data never carries the previous context', async () => {
  const seen = deferred<unknown>();
  const { server } = await recoveringServer();
  server.io.on('connection', (socket) => {
    if (socket.recovered) seen.resolve(socket.data.auth?.version);
  });
  const tokens = { current: await mint({ sub: 'alice' }) };
  const { socket } = await connectThenDrop(server, tokens);

  socket.connect();
  expect((await connectOutcome(socket)).connected).toBe(true);

  // A fresh context from the token presented now (version 1), not a restored object.
  expect(await seen.promise).toBe(1);
});

describe('without skipMiddlewares (the handshake middleware runs on recovery)', () => {
  const MIDDLEWARES = { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } };

  test('a still-valid token recovers with the missed packets', async () => {
    const { server } = await recoveringServer(MIDDLEWARES);
    const tokens = { current: await mint({ sub: 'alice' }) };
    const { socket, received } = await connectThenDrop(server, tokens);
    const missed = nextEvent(socket, 'news');

    socket.connect();

    expect(await connectOutcome(socket)).toEqual({ connected: true });
    expect(socket.recovered).toBe(true);
    expect(await missed).toBe('missed');
    expect(received).toEqual(['before', 'missed']);
  });

  test('a revoked subject is refused with AUTH_REVOKED and never gets the missed packets', async () => {
    const { server } = await recoveringServer(MIDDLEWARES);
    const tokens = { current: await mint({ sub: 'alice' }, { iat: nowSec() - 5 }) };
    const { socket, received, rawEvents } = await connectThenDrop(server, tokens);
    await server.auth.revoke({ subject: 'alice' });

    socket.connect();

    expect(await connectOutcome(socket)).toEqual({ connected: false, error: expect.objectContaining({ data: { code: 'AUTH_REVOKED', action: 'login' } }) });
    expect(received).toEqual(['before']);
    expect(eventNames(rawEvents)).not.toContain('missed');
  });
});
