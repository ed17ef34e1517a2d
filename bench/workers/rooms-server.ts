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
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session as InspectorSession } from 'node:inspector';
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

/**
 * BENCH_REEVALUATION_PROF=<file>: a V8 CPU profile (100 µs sampling) of the `reevaluate-many` call sent with
 * `profile: true` (the measured one), from just before the call until the watched room is emptied (every socket
 * out), for bench/README.md's "what each ms is". Starting the profiler takes a while: it is started before the clock.
 */
const profileFile = process.env['BENCH_REEVALUATION_PROF'] || undefined;
let profiler: InspectorSession | undefined;

function startProfile(): void {
  if (profileFile === undefined || profiler !== undefined) return;
  profiler = new InspectorSession();
  profiler.connect();
  profiler.post('Profiler.enable');
  profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  profiler.post('Profiler.start');
}

function stopProfile(): void {
  const session = profiler;
  if (session === undefined || profileFile === undefined) return;
  session.post('Profiler.stop', (error, result) => {
    if (error === null) writeFileSync(profileFile, JSON.stringify(result.profile));
    session.disconnect();
  });
}

/**
 * When `room` is next emptied on this node (the in-memory adapter's `delete-room`): every member is out. `at()` is
 * that wall-clock time; `cpuMs()` the process's CPU time (user + system, every thread: JIT compilers and GC helpers
 * included) from this call until then, a figure the machine's load inflates far less than the wall clock's.
 */
function emptied(room: string | undefined): { at: () => number; cpuMs: () => number } {
  let at = Number.NaN;
  let cpuMs = Number.NaN;
  if (room === undefined) return { at: () => at, cpuMs: () => cpuMs };
  const adapter = io.of('/').adapter;
  const cpuAtStart = process.cpuUsage();
  const onDelete = (deleted: string): void => {
    if (deleted !== room) return;
    at = wallClock();
    const cpu = process.cpuUsage(cpuAtStart);
    cpuMs = (cpu.user + cpu.system) / 1000;
    stopProfile();
    adapter.off('delete-room', onDelete);
  };
  adapter.on('delete-room', onDelete);
  return { at: () => at, cpuMs: () => cpuMs };
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
      const out = emptied(message['watch']);
      const at = wallClock();
      let affected = 0;
      for (let i = 0; i < subjects.length; i += chunk) {
        const results = await Promise.all(subjects.slice(i, i + chunk).map((subject) => auth!.reevaluate({ subject })));
        for (const result of results) affected += result.affected;
        await new Promise((resolve) => setImmediate(resolve));
      }
      report({ type: 'reevaluated', at, doneAt: wallClock(), outAt: out.at(), outCpuMs: out.cpuMs(), affected });
      break;
    }
    case 'reevaluate-many': {
      // Every socket of a tenant in one call: `reevaluate([{ subject }, …])`.
      const subjects: string[] = message['subjects'];
      if (message['profile'] === true) startProfile();
      const out = emptied(message['watch']);
      const at = wallClock();
      const { affected } = await auth!.reevaluate(subjects.map((subject) => ({ subject })));
      report({ type: 'reevaluated', at, doneAt: wallClock(), outAt: out.at(), outCpuMs: out.cpuMs(), affected });
      break;
    }
    case 'evict-room': {
      // The bare baseline: what an app does by hand to evict a room's members and tell them.
      const room = String(message['room']);
      const cpuAtStart = process.cpuUsage();
      const at = wallClock();
      io.in(room).emit('auth:room-left', { room, code: 'AUTH_FORBIDDEN', action: 'none' });
      io.in(room).socketsLeave(room);
      const doneAt = wallClock();
      const cpu = process.cpuUsage(cpuAtStart);
      report({ type: 'evicted', at, doneAt, cpuMs: (cpu.user + cpu.system) / 1000 });
      break;
    }
  }
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
