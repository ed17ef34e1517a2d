/**
 * Re-evaluating every live socket of one tenant after a policy change: 10,000 sockets of tenant T (one subject
 * each) in the room `tenant:T:general`; the tenant is denied `chat:read` (the live policy `mapClaims` reads), then
 * the app re-evaluates them, two ways side by side: `many`, one call with every subject
 * (`auth.reevaluate([{ subject }, …])`: every socket leaves in that turn, the `auth:room-left` pushes follow in
 * chunks); `each`, `auth.reevaluate({ subject })` per subject in chunks of 200, yielding to the event loop between
 * chunks (the answer before the list form existed). Measured: from the first call until every socket is out of
 * the room on the server (goal: 100 ms; from then on nothing sent to the room reaches them), until the call
 * resolved (every push written), until the last `auth:room-left` reached the client process (reported: one client
 * process reading 10,000 sockets bounds it), and the server's event-loop delay p99 meanwhile (goal < 50 ms).
 * Baseline, in the same run: bare Socket.IO evicting the room by hand (`io.in(room).emit('auth:room-left')` then
 * `socketsLeave`).
 *
 * `many` times the server process's first re-evaluation ever: JIT-cold (the eviction path has never run; only the
 * handshakes and joins have). A real server has usually re-evaluated something before a tenant's policy changes,
 * so `warm` is the same call after re-evaluating another tenant (`BENCH_WARM_SOCKETS` sockets of tenant W, default
 * 2,000, in `tenant:W:general`, evicted and told first). Both rows are kept: the cold one is the worst case.
 *
 *   npm run bench:room-reevaluation
 *   BENCH_SIDES=bare,many,warm npm run bench:room-reevaluation   # a subset of bare, each, many, warm
 *   BENCH_REEVALUATION_PROF=/tmp/t.cpuprofile BENCH_SIDES=many npm run bench:room-reevaluation
 *     # a CPU profile of the measured call (see workers/rooms-server.ts), then
 *     # npx tsx bench/profiles/summarize.ts top /tmp/t.cpuprofile
 */
import { startWorker, type Worker } from './lib/fork.js';
import { SMOKE, printTable } from './lib/table.js';
import { hs256Tokens } from './lib/tokens.js';

const SOCKETS = SMOKE ? 50 : Number(process.env['BENCH_SOCKETS'] ?? 10_000);
const CHUNK = 200;
const SIDES = (process.env['BENCH_SIDES'] ?? 'bare,each,many,warm').split(',');
const ROOM = 'tenant:T:general';
const WARM_SOCKETS = SMOKE ? 20 : Number(process.env['BENCH_WARM_SOCKETS'] ?? 2_000);
const WARM_ROOM = 'tenant:W:general';

const workers: Worker[] = [];

interface Side {
  /** First call → every socket out of the room, on the server. */
  outMs: number;
  /** The server's CPU time over `outMs` (every thread). */
  outCpuMs: number;
  /** First call → the call resolved (every push handed to Socket.IO). */
  evictedMs: number;
  ms: number;
  eldP99: number;
  left: number;
}

type How = 'bare' | 'each' | 'many' | 'warm';

/** Polls until `room` holds `size` sockets on the server. */
async function roomFilled(server: Worker, room: string, size: number): Promise<void> {
  for (;;) {
    server.send({ type: 'room-size', room });
    if ((await server.next<{ size: number }>('room-size')).size === size) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function side(how: How): Promise<Side> {
  const mode = how === 'bare' ? 'bare' : 'sockauth';
  const server = startWorker('rooms-server', [mode]);
  const client = startWorker('rooms-client');
  workers.push(server, client);
  try {
    const [{ port }] = await Promise.all([server.next<{ port: number }>('ready', 60_000), client.next('ready', 60_000)]);
    const url = `http://127.0.0.1:${port}`;
    const tokens = mode === 'sockauth' ? await hs256Tokens(SOCKETS, 3600, { tenant: 'T' }) : [];
    const warmTokens = how === 'warm' ? await hs256Tokens(WARM_SOCKETS, 3600, { tenant: 'W' }, 'warm-') : [];
    const sockets = Array.from({ length: SOCKETS }, (_, i) => ({ url, room: ROOM, ...(tokens[i] && { token: tokens[i] }) }));
    for (const token of warmTokens) sockets.push({ url, room: WARM_ROOM, token });
    client.send({ type: 'open', sockets, concurrency: 64 });
    const { errors } = await client.next<{ errors: number }>('opened', 600_000);
    if (errors > 0) throw new Error(`${mode}: ${errors} sockets refused`);
    await roomFilled(server, ROOM, SOCKETS);
    if (how === 'warm') {
      // Another tenant's policy change first: the eviction path has run (and been compiled) before the measured call.
      await roomFilled(server, WARM_ROOM, WARM_SOCKETS);
      const told = client.next<{ times: number[] }>('left', 300_000);
      client.send({ type: 'wait-left', total: WARM_SOCKETS, timeoutMs: 120_000 });
      server.send({ type: 'deny', tenants: ['W'] });
      await server.next('denied');
      server.send({ type: 'reevaluate-many', subjects: Array.from({ length: WARM_SOCKETS }, (_, i) => `warm-${i}`), watch: WARM_ROOM });
      await server.next('reevaluated', 300_000);
      if ((await told).times.length !== WARM_SOCKETS) throw new Error('warm: not every socket of tenant W was told auth:room-left');
      client.send({ type: 'reset' });
      await client.next('reset-done');
    }
    server.send({ type: 'eld-start' });
    await server.next('eld-started');
    const left = client.next<{ times: number[] }>('left', 300_000);
    client.send({ type: 'wait-left', total: SOCKETS, timeoutMs: 120_000 });
    let at: number;
    let doneAt: number;
    let outAt: number;
    let outCpuMs: number;
    if (mode === 'sockauth') {
      server.send({ type: 'deny', tenants: ['T'] });
      await server.next('denied');
      const subjects = Array.from({ length: SOCKETS }, (_, i) => `user-${i}`);
      server.send(how === 'each' ? { type: 'reevaluate-chunked', subjects, chunk: CHUNK, watch: ROOM } : { type: 'reevaluate-many', subjects, watch: ROOM, profile: true });
      ({ at, doneAt, outAt, outCpuMs } = await server.next<{ at: number; doneAt: number; outAt: number; outCpuMs: number }>('reevaluated', 300_000));
    } else {
      server.send({ type: 'evict-room', room: ROOM });
      ({ at, doneAt, cpuMs: outCpuMs } = await server.next<{ at: number; doneAt: number; cpuMs: number }>('evicted', 300_000));
      outAt = doneAt;
    }
    const { times } = await left;
    server.send({ type: 'eld-stop' });
    const { p99Ms } = await server.next<{ p99Ms: number }>('eld');
    server.send({ type: 'room-size', room: ROOM });
    const { size } = await server.next<{ size: number }>('room-size');
    if (size !== 0) throw new Error(`${mode}: ${size} sockets still in the room`);
    return { outMs: outAt - at, outCpuMs, evictedMs: doneAt - at, ms: Math.max(...times) - at, eldP99: p99Ms, left: times.length };
  } finally {
    await Promise.allSettled([server.stop(), client.stop()]);
  }
}

try {
  const results = new Map<string, Side>();
  for (const how of ['bare', 'each', 'many', 'warm'] as const) if (SIDES.includes(how)) results.set(how, await side(how));
  const bare = results.get('bare');
  for (const [how, result] of results) {
    if (how !== 'bare' && result.left !== SOCKETS) throw new Error(`${how}: ${result.left} of ${SOCKETS} sockets were told auth:room-left`);
  }
  const rows = [];
  const labels = {
    each: `reevaluate({ subject }) × ${SOCKETS}, ${CHUNK}/chunk`,
    many: 'reevaluate([…all]), JIT-cold',
    warm: `reevaluate([…all]) after another tenant's (${WARM_SOCKETS.toLocaleString('en-US')})`,
  };
  for (const how of ['each', 'many', 'warm'] as const) {
    const side = results.get(how);
    if (side === undefined) continue;
    const label = labels[how];
    const baseline = 'bare: emit + socketsLeave';
    rows.push(
      { metric: `${label}: call → every socket out of the room, server (ms)`, baseline, baselineValue: bare?.outMs ?? Number.NaN, value: side.outMs, goal: 'sockauth ≤ 100 ms', met: side.outMs <= 100 },
      { metric: `${label}: server CPU time meanwhile, every thread (ms)`, baseline, baselineValue: bare?.outCpuMs ?? Number.NaN, value: side.outCpuMs, goal: 'report', met: true },
      { metric: `${label}: call → resolved, every push written (ms)`, baseline, baselineValue: bare?.evictedMs ?? Number.NaN, value: side.evictedMs, goal: 'report', met: true },
      { metric: `${label}: call → last auth:room-left at the client (ms)`, baseline, baselineValue: bare?.ms ?? Number.NaN, value: side.ms, goal: 'report', met: true },
      { metric: `${label}: server event-loop delay p99 (ms)`, baseline, baselineValue: bare?.eldP99 ?? Number.NaN, value: side.eldP99, goal: 'sockauth < 50 ms', met: side.eldP99 < 50 },
    );
  }
  printTable(
    `Re-evaluating ${SOCKETS.toLocaleString('en-US')} live sockets of one tenant after a policy change`,
    rows,
    'ratio = sockauth / baseline; the bare baseline leaves and tells in one synchronous call.',
  );
} finally {
  await Promise.allSettled(workers.map((worker) => worker.stop()));
}
