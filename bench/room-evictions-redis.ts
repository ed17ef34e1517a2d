/**
 * Evictions across processes through Redis: three server processes (A, B, C) share one real redis-server; a client
 * process holds one socket per subject on B or C, each in the room `general`. Per sample, the subject is denied
 * `chat:read` on every node (the live policy `mapClaims` reads), then A calls `auth.reevaluate({ subject })`: the
 * store asks every node (pub/sub), the node holding the socket evicts it and sends `auth:room-left`. Measured: from
 * just before the call on A to `auth:room-left` at the client. Baseline, same Redis, samples alternating: bare
 * Socket.IO with the Redis adapter, A evicting the subject's room by hand (`io.in('user:<sub>')` emit +
 * `socketsLeave`, every socket having joined its subject's room). Times are `performance.timeOrigin +
 * performance.now()` in each process, comparable on one machine.
 *
 *   npm run bench:room-evictions-redis
 */
import { startRedis, type RedisServer } from '../test/support/redis.js';
import { startWorker, type Worker } from './lib/fork.js';
import { percentile } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';
import { hs256Tokens } from './lib/tokens.js';

const SAMPLES = SMOKE ? 10 : Number(process.env['BENCH_SAMPLES'] ?? 200);
const WARMUP = SMOKE ? 2 : 20;
const GOAL_P99_MS = 50;

type Mode = 'bare' | 'sockauth';
interface Cluster {
  readonly mode: Mode;
  readonly nodes: readonly [Worker, Worker, Worker];
  readonly client: Worker;
}

const workers: Worker[] = [];
let redis: RedisServer | undefined;

async function startCluster(mode: Mode, redisUrl: string, count: number): Promise<Cluster> {
  const env = { BENCH_REDIS_URL: redisUrl, BENCH_ADAPTER_KEY: `rooms-${mode}` };
  const nodes = [0, 1, 2].map(() => startWorker('rooms-server', [mode], env)) as [Worker, Worker, Worker];
  const client = startWorker('rooms-client');
  workers.push(...nodes, client);
  const ports = await Promise.all(nodes.map((node) => node.next<{ port: number }>('ready', 60_000)));
  await client.next('ready');
  const tokens = mode === 'sockauth' ? await hs256Tokens(count) : [];
  const sockets = Array.from({ length: count }, (_, k) => ({
    url: `http://127.0.0.1:${ports[1 + (k % 2)]!.port}`,
    // Bare: every socket in its subject's room (how an app finds a user's sockets across nodes without sockauth).
    room: mode === 'sockauth' ? 'general' : `user:user-${k}`,
    ...(tokens[k] !== undefined && { token: tokens[k] }),
  }));
  client.send({ type: 'open', sockets, concurrency: 32 });
  const { errors } = await client.next<{ errors: number }>('opened', 120_000);
  if (errors > 0) throw new Error(`${mode}: ${errors} of ${count} sockets refused`);
  return { mode, nodes, client };
}

async function sample(cluster: Cluster, k: number): Promise<number> {
  const subject = `user-${k}`;
  const left = cluster.client.next<{ times: number[] }>('left', 10_000);
  cluster.client.send({ type: 'wait-left', total: 1, timeoutMs: 5_000 });
  let at: number;
  if (cluster.mode === 'sockauth') {
    for (const node of cluster.nodes) node.send({ type: 'deny', subjects: [subject] });
    await Promise.all(cluster.nodes.map((node) => node.next('denied')));
    cluster.nodes[0].send({ type: 'reevaluate', subjects: [subject] });
    const done = await cluster.nodes[0].next<{ at: number; affected: number }>('reevaluated', 10_000);
    if (done.affected !== 1) throw new Error(`sockauth: reevaluate(${subject}) affected ${done.affected}`);
    at = done.at;
  } else {
    cluster.nodes[0].send({ type: 'evict-room', room: `user:${subject}` });
    ({ at } = await cluster.nodes[0].next<{ at: number }>('evicted', 10_000));
  }
  const { times } = await left;
  if (times.length !== 1) throw new Error(`${cluster.mode}: no auth:room-left for ${subject}`);
  cluster.client.send({ type: 'reset' });
  await cluster.client.next('reset-done');
  return times[0]! - at;
}

try {
  redis = await startRedis().catch((error: unknown) => {
    throw new Error(`bench/room-evictions-redis.ts needs a real redis-server: ${(error as Error).message}`);
  });
  const total = WARMUP + SAMPLES;
  const [bare, sockauth] = await Promise.all([startCluster('bare', redis.url, total), startCluster('sockauth', redis.url, total)]);
  console.error(`${total} sockets per side on nodes B and C; ${WARMUP} warm-up + ${SAMPLES} measured evictions per side`);
  const results: Record<Mode, number[]> = { bare: [], sockauth: [] };
  for (let k = 0; k < total; k++) {
    for (const cluster of k % 2 === 0 ? [bare, sockauth] : [sockauth, bare]) {
      const ms = await sample(cluster, k);
      if (k >= WARMUP) results[cluster.mode].push(ms);
    }
  }
  const [b, s] = [results.bare, results.sockauth];
  const baseline = 'bare + redis-adapter socketsLeave';
  printTable(
    'Evictions across 3 processes via Redis (reevaluate() on node A → auth:room-left at a client of node B or C)',
    [
      { metric: 'p50 latency (ms)', baseline, baselineValue: percentile(b, 50), value: percentile(s, 50), goal: 'report', met: true },
      { metric: 'p99 latency (ms)', baseline, baselineValue: percentile(b, 99), value: percentile(s, 99), goal: `sockauth < ${GOAL_P99_MS} ms`, met: percentile(s, 99) < GOAL_P99_MS },
      { metric: 'max latency (ms)', baseline, baselineValue: Math.max(...b), value: Math.max(...s), goal: 'report', met: true },
    ],
    `${SAMPLES} evictions per side (after ${WARMUP} warm-up), one in flight, sides alternating; each side its own 3 node ` +
      'processes on one redis-server. Ratio = sockauth / baseline.',
  );
} finally {
  await Promise.allSettled(workers.map((worker) => worker.stop()));
  await redis?.stop();
}
