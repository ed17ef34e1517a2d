/**
 * The server process of the room benchmarks (bench/room-broadcast.ts, room-reevaluation.ts,
 * room-evictions-redis.ts). Modes:
 * - `bare`: plain Socket.IO; each socket joins `handshake.auth.room` with `socket.join` at connect;
 * - `sockauth`: @sockauth/socket.io (HS256) with room policies (`'*'`, `'staff-*'`, `'tenant:{tenant}:*'`), each
 *   socket joining `handshake.auth.room` through `auth.join`; `mapClaims` withholds `chat:read` from the subjects
 *   and tenants the benchmark denies over IPC (the "policy change"), so `reevaluate` evicts them.
 * With `BENCH_REDIS_URL`: the Socket.IO Redis adapter and, in `sockauth` mode, `RedisRevocationStore` (cross-node
 * re-evaluation), as examples/socketio-chat runs with REDIS_URL.
 * IPC: reports `{ type: 'ready', port }`; answers `room-size`, `broadcast`, `deny`, `reevaluate`, `reevaluate-chunked`,
 * `reevaluate-many` (one call with every subject),
 * `evict-room` (the bare baseline), `eld-start`/`eld-stop`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { MemoryRevocationStore, defaultMapClaims, type RevocationStore } from '@sockauth/core';
import { RedisRevocationStore } from '@sockauth/redis';
import { createSockAuth } from '@sockauth/socket.io';
import { createClient } from 'redis';
import { Server, type Socket } from 'socket.io';
import { eventLoopDelayOverIpc } from '../lib/event-loop.js';
import { report } from '../lib/fork.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_SECRET } from '../lib/tokens.js';

const mode = process.argv[2];
if (mode !== 'sockauth' && mode !== 'bare') throw new TypeError('rooms-server: mode must be "sockauth" or "bare"');
const redisUrl = process.env['BENCH_REDIS_URL'] || undefined;
const wallClock = (): number => performance.timeOrigin + performance.now();

let adapter: ReturnType<typeof createAdapter> | undefined;
let revocationStore: RevocationStore = new MemoryRevocationStore();
if (redisUrl !== undefined) {
  // RESP2 for the adapter: @socket.io/redis-adapter 8 parses RESP2 replies (as in examples/socketio-chat).
  const pubClient = createClient({ url: redisUrl, RESP: 2 });
  const subClient = pubClient.duplicate();
  pubClient.on('error', () => undefined);
  subClient.on('error', () => undefined);
  await Promise.all([pubClient.connect(), subClient.connect()]);
  adapter = createAdapter(pubClient, subClient, { key: process.env['BENCH_ADAPTER_KEY'] ?? 'socket.io' });
  if (mode === 'sockauth') {
    const store = new RedisRevocationStore({ url: redisUrl, keyPrefix: `${process.env['BENCH_ADAPTER_KEY'] ?? 'bench'}:` });
    await store.ready();
    revocationStore = store;
  }
}

/** The live policy change: subjects and tenants whose `chat:read` is withheld. */
const deniedSubjects = new Set<string>();
const deniedTenants = new Set<string>();

const http = createServer();
const io = new Server(http, { transports: ['websocket'], ...(adapter !== undefined && { adapter }) });
const auth =
  mode === 'sockauth'
    ? createSockAuth({
        verifier: { algorithms: ['HS256'], secret: BENCH_SECRET, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE },
        revocationStore,
        rooms: { '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'], 'tenant:{tenant}:*': 'chat:read' },
        mapClaims: (claims) => {
          const identity = defaultMapClaims(claims);
          const tenant = claims['tenant'];
          if (!deniedSubjects.has(identity.subject) && !(typeof tenant === 'string' && deniedTenants.has(tenant))) return identity;
          return { ...identity, permissions: [...(identity.permissions ?? [])].filter((p) => p !== 'chat:read') };
        },
      }).attach(io)
    : undefined;

io.on('connection', (socket: Socket) => {
  const room = String(socket.handshake.auth['room'] ?? 'bench');
  if (auth === undefined) void socket.join(room);
  else auth.join(socket, room).catch(() => socket.emit('join-refused', room));
});

const eventLoopDelay = eventLoopDelayOverIpc(1);

/** When `room` is next emptied on this node (the in-memory adapter's `delete-room`): every member is out. */
function emptied(room: string | undefined): () => number {
  let at = Number.NaN;
  if (room === undefined) return () => at;
  const adapter = io.of('/').adapter;
  const onDelete = (deleted: string): void => {
    if (deleted !== room) return;
    at = wallClock();
    adapter.off('delete-room', onDelete);
  };
  adapter.on('delete-room', onDelete);
  return () => at;
}

http.listen(0, '127.0.0.1', () => report({ type: 'ready', port: (http.address() as AddressInfo).port }));

process.on('message', async (message: Record<string, any>) => {
  if (eventLoopDelay(message)) return;
  switch (message['type']) {
    case 'room-size':
      report({ type: 'room-size', size: io.of('/').adapter.rooms.get(String(message['room']))?.size ?? 0 });
      break;
    case 'broadcast': {
      // What a broadcast costs the server: encoding once and writing to every member's connection.
      const { room, count } = message as { room: string; count: number };
      const started = performance.now();
      for (let i = 0; i < count; i++) io.to(room).emit('m', i);
      report({ type: 'broadcast', elapsedMs: performance.now() - started });
      break;
    }
    case 'deny':
      for (const subject of message['subjects'] ?? []) deniedSubjects.add(String(subject));
      for (const tenant of message['tenants'] ?? []) deniedTenants.add(String(tenant));
      report({ type: 'denied' });
      break;
    case 'reevaluate': {
      const subjects: string[] = message['subjects'];
      const at = wallClock();
      const results = await Promise.all(subjects.map((subject) => auth!.reevaluate({ subject })));
      report({ type: 'reevaluated', at, doneAt: wallClock(), affected: results.reduce((sum, r) => sum + r.affected, 0) });
      break;
    }
    case 'reevaluate-chunked': {
      // Every socket of a tenant: the app re-evaluates each of its subjects, in chunks, yielding in between so
      // other connections are served meanwhile.
      const subjects: string[] = message['subjects'];
      const chunk: number = message['chunk'] ?? 500;
      const outAt = emptied(message['watch']);
      const at = wallClock();
      let affected = 0;
      for (let i = 0; i < subjects.length; i += chunk) {
        const results = await Promise.all(subjects.slice(i, i + chunk).map((subject) => auth!.reevaluate({ subject })));
        for (const result of results) affected += result.affected;
        await new Promise((resolve) => setImmediate(resolve));
      }
      report({ type: 'reevaluated', at, doneAt: wallClock(), outAt: outAt(), affected });
      break;
    }
    case 'reevaluate-many': {
      // Every socket of a tenant in one call: `reevaluate([{ subject }, …])`.
      const subjects: string[] = message['subjects'];
      const outAt = emptied(message['watch']);
      const at = wallClock();
      const { affected } = await auth!.reevaluate(subjects.map((subject) => ({ subject })));
      report({ type: 'reevaluated', at, doneAt: wallClock(), outAt: outAt(), affected });
      break;
    }
    case 'evict-room': {
      // The bare baseline: what an app does by hand to evict a room's members and tell them.
      const room = String(message['room']);
      const at = wallClock();
      io.in(room).emit('auth:room-left', { room, code: 'AUTH_FORBIDDEN', action: 'none' });
      io.in(room).socketsLeave(room);
      report({ type: 'evicted', at, doneAt: wallClock() });
      break;
    }
  }
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
