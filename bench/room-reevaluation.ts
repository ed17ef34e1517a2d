/**
 * Re-evaluating every live socket of one tenant after a policy change: 10,000 sockets of tenant T (one subject
 * each) in the room `tenant:T:general`; the tenant is denied `chat:read` (the live policy `mapClaims` reads), then
 * the app re-evaluates each of its subjects with `auth.reevaluate({ subject })` in chunks of 500, yielding to the
 * event loop between chunks. Measured: from the first call until every socket is out of the room on the server
 * (goal: 100 ms; from then on nothing sent to the room reaches them), until the last `auth:room-left` reached the
 * client process (reported: one client process reading 10,000 sockets bounds it), and the server's event-loop
 * delay p99 meanwhile (goal < 50 ms). Baseline, in the same run: bare
 * Socket.IO evicting the room by hand (`io.in(room).emit('auth:room-left')` then `socketsLeave`).
 *
 *   npm run bench:room-reevaluation
 */
import { startWorker, type Worker } from './lib/fork.js';
import { SMOKE, printTable } from './lib/table.js';
import { hs256Tokens } from './lib/tokens.js';

const SOCKETS = SMOKE ? 50 : Number(process.env['BENCH_SOCKETS'] ?? 10_000);
const CHUNK = 200;
const ROOM = 'tenant:T:general';

const workers: Worker[] = [];

async function side(mode: 'bare' | 'sockauth'): Promise<{ evictedMs: number; ms: number; eldP99: number; left: number }> {
  const server = startWorker('rooms-server', [mode]);
  const client = startWorker('rooms-client');
  workers.push(server, client);
  try {
    const [{ port }] = await Promise.all([server.next<{ port: number }>('ready', 60_000), client.next('ready', 60_000)]);
    const url = `http://127.0.0.1:${port}`;
    const tokens = mode === 'sockauth' ? await hs256Tokens(SOCKETS, 3600, { tenant: 'T' }) : [];
    client.send({ type: 'open', sockets: Array.from({ length: SOCKETS }, (_, i) => ({ url, room: ROOM, ...(tokens[i] && { token: tokens[i] }) })), concurrency: 64 });
    const { errors } = await client.next<{ errors: number }>('opened', 600_000);
    if (errors > 0) throw new Error(`${mode}: ${errors} sockets refused`);
    for (;;) {
      server.send({ type: 'room-size', room: ROOM });
      if ((await server.next<{ size: number }>('room-size')).size === SOCKETS) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    server.send({ type: 'eld-start' });
    await server.next('eld-started');
    const left = client.next<{ times: number[] }>('left', 300_000);
    client.send({ type: 'wait-left', total: SOCKETS, timeoutMs: 120_000 });
    let at: number;
    let doneAt: number;
    if (mode === 'sockauth') {
      server.send({ type: 'deny', tenants: ['T'] });
      await server.next('denied');
      server.send({ type: 'reevaluate-chunked', subjects: Array.from({ length: SOCKETS }, (_, i) => `user-${i}`), chunk: CHUNK });
      ({ at, doneAt } = await server.next<{ at: number; doneAt: number; affected: number }>('reevaluated', 300_000));
    } else {
      server.send({ type: 'evict-room', room: ROOM });
      ({ at, doneAt } = await server.next<{ at: number; doneAt: number }>('evicted', 300_000));
    }
    const { times } = await left;
    server.send({ type: 'eld-stop' });
    const { p99Ms } = await server.next<{ p99Ms: number }>('eld');
    server.send({ type: 'room-size', room: ROOM });
    const { size } = await server.next<{ size: number }>('room-size');
    if (size !== 0) throw new Error(`${mode}: ${size} sockets still in the room`);
    return { evictedMs: doneAt - at, ms: Math.max(...times) - at, eldP99: p99Ms, left: times.length };
  } finally {
    await Promise.allSettled([server.stop(), client.stop()]);
  }
}

try {
  const bare = await side('bare');
  const sockauth = await side('sockauth');
  if (sockauth.left !== SOCKETS) throw new Error(`sockauth: ${sockauth.left} of ${SOCKETS} sockets were told auth:room-left`);
  printTable(
    `Re-evaluating ${SOCKETS.toLocaleString('en-US')} live sockets of one tenant after a policy change`,
    [
      { metric: 'first call → every socket out of the room, server (ms)', baseline: 'bare: emit + socketsLeave', baselineValue: bare.evictedMs, value: sockauth.evictedMs, goal: 'sockauth ≤ 100 ms', met: sockauth.evictedMs <= 100 },
      { metric: 'first call → last auth:room-left at the client (ms)', baseline: 'bare: emit + socketsLeave', baselineValue: bare.ms, value: sockauth.ms, goal: 'report', met: true },
      { metric: 'server event-loop delay p99 (ms)', baseline: 'bare: emit + socketsLeave', baselineValue: bare.eldP99, value: sockauth.eldP99, goal: 'sockauth < 50 ms', met: sockauth.eldP99 < 50 },
    ],
    `sockauth: reevaluate({ subject }) for each of the tenant's ${SOCKETS} subjects, ${CHUNK} per chunk with setImmediate between ` +
      'chunks (static eviction in the same tick as each re-evaluation); ratio = sockauth / baseline.',
  );
} finally {
  await Promise.allSettled(workers.map((worker) => worker.stop()));
}
