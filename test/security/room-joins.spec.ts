/**
 * With room policies, the unguarded path is closed: a plain `socket.join(room)` in application code (an old
 * handler, a middleware, a server-side `socketsJoin`) cannot put a socket in a room its context in force may not be
 * in, and no socket may join another socket's own-id room (what `io.to(socketId)` sends privately). Over the wire:
 * what a socket receives is what counts.
 */
import type { AuthFailureInfo } from '@sockauth/core';
import type { Socket } from 'socket.io';
import { serverSocket } from '../support/app';
import { closeAll } from '@sockauth/testing';
import { client, connect, connectOutcome, nextEvent, type ClientSocket } from '../support/clients';
import { startServer, type TestServer } from '../support/servers';
import { mint } from '../support/tokens';

afterEach(closeAll);

const ROOMS = { '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'] } as const;

/**
 * A server whose handlers join the old way: `plain-join` calls `socket.join(room)`, `join` goes through
 * `auth.join`, `say` broadcasts to a room, `whisper` to a socket id; `mw-room` in the handshake auth makes an
 * application middleware join that room.
 */
async function server(failures: AuthFailureInfo[]): Promise<TestServer> {
  return startServer({
    auth: {
      events: { whoami: null, 'plain-join': null, join: null, say: null, whisper: null },
      rooms: ROOMS,
      hooks: { onAuthFailure: (info) => failures.push(info) },
    },
    setup: (io, auth) => {
      io.use((socket, next) => {
        const room = socket.handshake.auth['mwRoom'];
        if (typeof room === 'string') void socket.join(room);
        next();
      });
      io.on('connection', (socket: Socket) => {
        socket.on('plain-join', (room: string, ack: (v: unknown) => void) => {
          void socket.join(room);
          ack({ rooms: [...socket.rooms].filter((r) => r !== socket.id) });
        });
        socket.on('join', (room: string, ack: (v: unknown) => void) =>
          auth.join(socket, room).then(
            () => ack({ ok: true }),
            (error: { code: string }) => ack({ error: error.code }),
          ),
        );
        socket.on('say', (room: string, text: string, ack: (v: unknown) => void) => {
          io.to(room).emit('said', { room, text });
          ack({ ok: true });
        });
        socket.on('whisper', (id: string, text: string, ack: (v: unknown) => void) => {
          io.to(id).emit('whispered', text);
          ack({ ok: true });
        });
      });
    },
  });
}

async function as(url: string, scope: string, auth: Record<string, unknown> = {}): Promise<ClientSocket> {
  return connect(url, { auth: { token: await mint({ sub: `u-${Math.random().toString(36).slice(2, 8)}`, scope }), ...auth } });
}

function collect(socket: ClientSocket, event: string): unknown[] {
  const seen: unknown[] = [];
  socket.on(event, (payload: unknown) => seen.push(payload));
  return seen;
}

it('a plain socket.join of a room the policy refuses is left out and reported; allowed rooms are joined', async () => {
  const failures: AuthFailureInfo[] = [];
  const { url } = await server(failures);
  const reader = await as(url, 'chat:read');
  const staff = await as(url, 'chat:read chat:admin');
  const got = collect(reader, 'said');

  expect(await reader.emitWithAck('plain-join', 'staff-ops')).toEqual({ rooms: [] });
  expect(await reader.emitWithAck('plain-join', 'general')).toEqual({ rooms: ['general'] });
  await staff.emitWithAck('plain-join', 'staff-ops');
  await staff.emitWithAck('say', 'staff-ops', 'secret');
  const marker = nextEvent(reader, 'said');
  await staff.emitWithAck('say', 'general', 'public');
  await marker;

  expect(got).toEqual([{ room: 'general', text: 'public' }]);
  expect(failures).toContainEqual(expect.objectContaining({ code: 'AUTH_FORBIDDEN', stage: 'join' }));
});

it('an application middleware cannot put a socket in a room before sockauth’s context allows it', async () => {
  const { url } = await server([]);
  const reader = await as(url, 'chat:read', { mwRoom: 'staff-ops' });
  const staff = await as(url, 'chat:read chat:admin');
  await staff.emitWithAck('plain-join', 'staff-ops');
  await reader.emitWithAck('plain-join', 'general');
  const got = collect(reader, 'said');
  await staff.emitWithAck('say', 'staff-ops', 'secret');
  const marker = nextEvent(reader, 'said');
  await staff.emitWithAck('say', 'general', 'public');
  await marker;
  expect(got).toEqual([{ room: 'general', text: 'public' }]);
});

it("no socket joins another socket's own-id room, through auth.join or socket.join", async () => {
  const failures: AuthFailureInfo[] = [];
  const { url } = await server(failures);
  const victim = await as(url, 'chat:read');
  const attacker = await as(url, 'chat:read');
  const stolen = collect(attacker, 'whispered');

  expect(await attacker.emitWithAck('join', victim.id)).toEqual({ error: 'AUTH_FORBIDDEN' });
  expect(await attacker.emitWithAck('plain-join', victim.id)).toEqual({ rooms: [] });
  const delivered = nextEvent(victim, 'whispered');
  await attacker.emitWithAck('whisper', victim.id, 'for the victim only');
  expect(await delivered).toBe('for the victim only');
  // The attacker's own whisper arrives after anything the victim's would have: it got nothing else.
  const own = nextEvent(attacker, 'whispered');
  await attacker.emitWithAck('whisper', attacker.id, 'mine');
  await own;
  expect(stolen).toEqual(['mine']);
});

it('auth.join of a room the policy refuses rejects AUTH_FORBIDDEN; an allowed one joins', async () => {
  const { url } = await server([]);
  const reader = await as(url, 'chat:read');
  expect(await reader.emitWithAck('join', 'staff-ops')).toEqual({ error: 'AUTH_FORBIDDEN' });
  expect(await reader.emitWithAck('join', 'general')).toEqual({ ok: true });
});

it('connection state recovery: the restored rooms are re-checked against the context of the token presented on return', async () => {
  const failures: AuthFailureInfo[] = [];
  const server = await startServer({
    io: { connectionStateRecovery: { maxDisconnectionDuration: 10_000, skipMiddlewares: true } },
    auth: { events: { whoami: null }, rooms: ROOMS, hooks: { onAuthFailure: (info) => failures.push(info) } },
    setup: (io, auth) =>
      io.on('connection', (socket: Socket) => {
        if (!socket.recovered) void auth.join(socket, 'staff-ops').then(() => auth.join(socket, 'general')).then(() => socket.emit('joined'));
      }),
  });
  let token = await mint({ sub: 'alice', scope: 'chat:read chat:admin' });
  const socket = client(server.url, { auth: (cb) => cb({ token }) });
  await nextEvent(socket, 'joined');
  // A recovery offset: one broadcast received.
  const first = nextEvent(socket, 'news');
  server.io.to('general').emit('news', 'offset');
  await first;
  const firstId = socket.id!;
  const gone = nextEvent(serverSocket(server.io, firstId), 'disconnect');
  socket.io.engine.close();
  await gone;

  token = await mint({ sub: 'alice', scope: 'chat:read' });
  socket.connect();
  expect(await connectOutcome(socket)).toEqual({ connected: true });
  expect(socket.recovered).toBe(true);
  const restored = serverSocket(server.io, firstId);
  expect([...restored.rooms].filter((room) => room !== firstId)).toEqual(['general']);
  expect(failures).toContainEqual(expect.objectContaining({ code: 'AUTH_FORBIDDEN', stage: 'join' }));
});
