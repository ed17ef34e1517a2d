/**
 * Revocation across processes through Redis: three server processes (nodes A, B, C) share one real redis-server;
 * a client process holds one socket per session on B or C; node A revokes one session at a time and the time from
 * just before the call on A to the `disconnect` event at the client is measured.
 * - sockauth: `RedisRevocationStore` + the Socket.IO Redis adapter (as examples/socketio-chat in REDIS_URL
 *   mode); A calls `auth.revoke({ sessionId })`.
 * - baseline: bare Socket.IO with the same Redis adapter; A calls `io.in('session:<id>').disconnectSockets(true)`
 *   (every socket joined its session's room at connect).
 * Both clusters run at once on the same Redis (distinct adapter keys) and the samples alternate between them, so
 * load from elsewhere on the machine falls on both alike. Times are `performance.timeOrigin + performance.now()`
 * in each process, comparable across processes on one machine. Fails (never skips) when redis-server is missing.
 *
 *   npm run bench:revocation-redis
 */
import { startRedis, type RedisServer } from '../test/support/redis.js';
import { startWorker, type Worker } from './lib/fork.js';
import { percentile } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';
import { hs256Tokens } from './lib/tokens.js';

const SAMPLES = SMOKE ? 10 : Number(process.env['BENCH_SAMPLES'] ?? 300);
/** Revocations per side before the measured ones (first-call compilation, Redis connections warming up). */
const WARMUP = SMOKE ? 2 : 20;
/** Longest wait for one revocation to reach its client: past it the benchmark fails rather than hangs. */
const SAMPLE_TIMEOUT_MS = 5_000;
const GOAL_P99_MS = 50;

type Mode = 'bare' | 'sockauth';

interface Cluster {
  readonly mode: Mode;
  /** A revokes; B and C hold the sockets. */
  readonly nodes: readonly [Worker, Worker, Worker];
  readonly urls: readonly [string, string, string];
}

interface Cut {
  readonly session: string;
  readonly at: number;
  readonly code?: string;
  readonly reason: string;
}

interface Sample {
  readonly ms: number;
  readonly code: string | undefined;
}

// Everything started is stopped on every way out: success, failure, SIGINT/SIGTERM.
const workers: Worker[] = [];
let redis: RedisServer | undefined;
let stopping: Promise<void> | undefined;
function shutdown(): Promise<void> {
  stopping ??= (async () => {
    await Promise.allSettled(workers.map((worker) => worker.stop()));
    await redis?.stop();
  })();
  return stopping;
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => void shutdown().finally(() => process.exit(code)));
}

function track(worker: Worker): Worker {
  workers.push(worker);
  return worker;
}

async function startCluster(mode: Mode, redisUrl: string): Promise<Cluster> {
  const env = { BENCH_REDIS_URL: redisUrl, BENCH_ADAPTER_KEY: `bench-${mode}` };
  const nodes = [0, 1, 2].map(() => track(startWorker('redis-node', [mode], env))) as [Worker, Worker, Worker];
  const ports = await Promise.all(nodes.map((node) => node.next<{ port: number }>('ready', 60_000)));
  return { mode, nodes, urls: ports.map(({ port }) => `http://127.0.0.1:${port}`) as [string, string, string] };
}

const sessionId = (mode: Mode, k: number): string => `${mode}-s${k}`;

/** Opens one socket per session, alternately on B and C, and checks where they landed. */
async function openSockets(client: Worker, cluster: Cluster, count: number): Promise<void> {
  const tokens = cluster.mode === 'sockauth' ? await hs256Tokens(count, 3600, (k) => ({ sid: sessionId('sockauth', k) })) : [];
  const sockets = Array.from({ length: count }, (_, k) => ({
    url: cluster.urls[1 + (k % 2)],
    session: sessionId(cluster.mode, k),
    ...(tokens[k] !== undefined && { token: tokens[k] }),
  }));
  client.send({ type: 'open', sockets, concurrency: 32 });
  const { errors } = await client.next<{ count: number; errors: number }>('opened', 120_000);
  if (errors > 0) throw new Error(`${cluster.mode}: ${errors} of ${count} sockets were refused`);
  const counts = await Promise.all(
    cluster.nodes.map((node) => {
      node.send({ type: 'count' });
      return node.next<{ sockets: number }>('count').then(({ sockets }) => sockets);
    }),
  );
  const expected = [0, Math.ceil(count / 2), Math.floor(count / 2)];
  if (counts.some((n, i) => n !== expected[i])) throw new Error(`${cluster.mode}: sockets per node A/B/C are ${counts.join('/')}, expected ${expected.join('/')}`);
}

/** Revokes session `k` on node A and waits for its socket's disconnect at the client. */
async function sample(client: Worker, cluster: Cluster, k: number): Promise<Sample> {
  const session = sessionId(cluster.mode, k);
  const cut = client.next<Cut>('cut', SAMPLE_TIMEOUT_MS);
  cluster.nodes[0].send({ type: 'revoke', session });
  const revoked = cluster.nodes[0].next<{ at: number }>('revoked', SAMPLE_TIMEOUT_MS);
  const [{ at }, disconnect] = await Promise.all([revoked, cut]);
  if (disconnect.session !== session) throw new Error(`${cluster.mode}: revoking ${session} disconnected ${disconnect.session}`);
  return { ms: disconnect.at - at, code: disconnect.code };
}

try {
  // Rethrown from here: the helper's own stack runs through tsx's inlined CJS source and buries the message.
  redis = await startRedis().catch((error: unknown) => {
    throw new Error(`bench/revocation-redis.ts needs a real redis-server: ${(error as Error).message}`);
  });
  const client = track(startWorker('redis-client'));
  const [bare, sockauth] = await Promise.all([startCluster('bare', redis.url), startCluster('sockauth', redis.url), client.next('ready')]);
  const total = WARMUP + SAMPLES;
  await openSockets(client, bare, total);
  await openSockets(client, sockauth, total);
  console.error(`${total} sockets per side on nodes B and C; ${WARMUP} warm-up + ${SAMPLES} measured revocations per side`);

  const results: Record<Mode, Sample[]> = { bare: [], sockauth: [] };
  for (let k = 0; k < total; k++) {
    // One revocation in flight at a time; which side goes first alternates so neither always follows the other.
    for (const cluster of k % 2 === 0 ? [bare, sockauth] : [sockauth, bare]) {
      const result = await sample(client, cluster, k);
      if (k >= WARMUP) results[cluster.mode].push(result);
    }
  }

  const ms = (mode: Mode): number[] => results[mode].map((s) => s.ms);
  const revokedFirst = (mode: Mode): number => results[mode].filter((s) => s.code === 'AUTH_REVOKED').length;
  const [b, s] = [ms('bare'), ms('sockauth')];
  const p99 = percentile(s, 99);
  const baseline = 'bare + redis-adapter disconnectSockets';
  printTable(
    'Revocation across 3 processes via Redis (revoke() on node A → client disconnect from node B or C)',
    [
      { metric: 'p50 latency (ms)', baseline, baselineValue: percentile(b, 50), value: percentile(s, 50), goal: 'report', met: true },
      { metric: 'p99 latency (ms)', baseline, baselineValue: percentile(b, 99), value: p99, goal: `sockauth < ${GOAL_P99_MS} ms`, met: p99 < GOAL_P99_MS },
      { metric: 'max latency (ms)', baseline, baselineValue: Math.max(...b), value: Math.max(...s), goal: 'report', met: true },
      {
        metric: 'disconnects after auth:error AUTH_REVOKED',
        baseline,
        baselineValue: revokedFirst('bare'),
        value: revokedFirst('sockauth'),
        ratio: revokedFirst('sockauth') / SAMPLES,
        goal: `all ${SAMPLES}`,
        met: revokedFirst('sockauth') === SAMPLES,
      },
    ],
    `${SAMPLES} revocations per side (after ${WARMUP} warm-up), one in flight, sides alternating; one session per ` +
      `socket, sockets alternately on B and C, each side its own 3 node processes on one redis-server. ` +
      `Ratio = sockauth / baseline (last row: the fraction of sockauth disconnects told AUTH_REVOKED first).`,
  );
} finally {
  await shutdown();
}
