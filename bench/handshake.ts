/**
 * Authenticated handshakes per second, a distinct token per connection, against bare Socket.IO,
 * @thream/socketio-jwt and a bare jose middleware, in one run: server and client in separate processes, 32 handshakes in flight, rounds
 * alternating the order of the servers, medians reported. Also a reconnect storm (the same tokens again).
 *
 *   npm run bench:handshake            (BENCH_SMOKE=1 for a seconds-long smoke run)
 */
import { median } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';
import { startWorker, type Worker } from './lib/fork.js';
import { es256Tokens, hs256Tokens } from './lib/tokens.js';

const N = SMOKE ? 40 : Number(process.env['BENCH_HANDSHAKES'] ?? 1500);
const ROUNDS = SMOKE ? 1 : Number(process.env['BENCH_ROUNDS'] ?? 5);
const CONCURRENCY = 32;
/**
 * Handshakes each server gets before it is measured. Throughput keeps climbing for the first few thousand
 * handshakes while V8 optimises (bench/profiles/handshake-profile.ts shows it round by round), and sockauth has more
 * code to warm than bare Socket.IO: measuring before that compares warm-up, not steady state.
 */
const WARMUP = SMOKE ? 20 : Number(process.env['BENCH_WARMUP'] ?? 4000);
/** `jose-hs256`: a bare jose middleware (key imported once), to separate what jose costs from what sockauth adds. */
const MODES = ['bare', 'sockauth-hs256', 'sockauth-es256', 'thream', 'jose-hs256', 'jose-es256'] as const;
type Mode = (typeof MODES)[number];

interface HandshakeResult {
  count: number;
  errors: number;
  elapsedMs: number;
}

async function measure(client: Worker, mode: Mode, jwks: unknown, tokens: string[], warmup: string[]): Promise<{ fresh: number; again: number }> {
  const server = startWorker('socketio-server', [mode], { BENCH_JWKS: JSON.stringify(jwks) });
  try {
    const { port } = await server.next<{ port: number }>('ready');
    const url = `http://127.0.0.1:${port}`;
    const bearer = mode === 'thream';
    const run = async (list: string[]): Promise<number> => {
      client.send({ type: 'handshakes', url, tokens: list, concurrency: CONCURRENCY, bearer });
      const result = await client.next<HandshakeResult>('handshakes');
      if (result.errors > 0) throw new Error(`${mode}: ${result.errors} of ${result.count} handshakes failed`);
      return (result.count / result.elapsedMs) * 1000;
    };
    await run(warmup);
    const fresh = await run(tokens);
    const again = await run(tokens);
    return { fresh, again };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const client = startWorker('socketio-client');
  await client.next('ready');
  const results: Record<Mode, { fresh: number[]; again: number[] }> = Object.fromEntries(
    MODES.map((m) => [m, { fresh: [], again: [] }]),
  ) as never;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const hs = await hs256Tokens(N);
      const warmupHs = await hs256Tokens(WARMUP);
      const es = await es256Tokens(N + WARMUP);
      const order = [...MODES.slice(round % MODES.length), ...MODES.slice(0, round % MODES.length)];
      for (const mode of order) {
        const es256 = mode === 'sockauth-es256' || mode === 'jose-es256';
        const tokens = es256 ? es.tokens.slice(0, N) : hs;
        const warmup = es256 ? es.tokens.slice(N) : warmupHs;
        const { fresh, again } = await measure(client, mode, es.jwks, tokens, warmup);
        results[mode].fresh.push(fresh);
        results[mode].again.push(again);
        console.error(`round ${round + 1}/${ROUNDS} ${mode}: ${fresh.toFixed(0)} handshakes/s fresh, ${again.toFixed(0)} again`);
      }
    }
  } finally {
    await client.stop();
  }
  const m = (mode: Mode, kind: 'fresh' | 'again'): number => median(results[mode][kind]);
  const bare = m('bare', 'fresh');
  const rows = [
    { metric: 'handshakes/s, HS256', baseline: 'bare Socket.IO', baselineValue: bare, value: m('sockauth-hs256', 'fresh'), goal: '≥ 0.97 ×', min: 0.97 },
    { metric: 'handshakes/s, ES256 (JWKS cached)', baseline: 'bare Socket.IO', baselineValue: bare, value: m('sockauth-es256', 'fresh'), goal: '≥ 0.90 ×', min: 0.9 },
    { metric: 'handshakes/s, HS256', baseline: '@thream/socketio-jwt', baselineValue: m('thream', 'fresh'), value: m('sockauth-hs256', 'fresh'), goal: '≥ 1.6 ×', min: 1.6 },
    { metric: 'reconnect storm (same tokens), HS256', baseline: 'bare Socket.IO', baselineValue: m('bare', 'again'), value: m('sockauth-hs256', 'again'), goal: '≥ 0.99 ×', min: 0.99 },
    {
      metric: 'handshakes/s, HS256, same verification library',
      baseline: 'bare jose middleware',
      baselineValue: m('jose-hs256', 'fresh'),
      value: m('sockauth-hs256', 'fresh'),
      goal: 'report',
      min: 0,
    },
    {
      metric: 'handshakes/s, ES256, same verification library',
      baseline: 'bare jose middleware',
      baselineValue: m('jose-es256', 'fresh'),
      value: m('sockauth-es256', 'fresh'),
      goal: 'report',
      min: 0,
    },
    { metric: 'handshakes/s, bare jose middleware, HS256', baseline: 'bare Socket.IO', baselineValue: bare, value: m('jose-hs256', 'fresh'), goal: 'report', min: 0 },
    { metric: 'handshakes/s, bare jose middleware, ES256', baseline: 'bare Socket.IO', baselineValue: bare, value: m('jose-es256', 'fresh'), goal: 'report', min: 0 },
  ].map(({ min, ...row }) => ({ ...row, met: row.value / row.baselineValue >= min }));
  printTable(
    `Handshakes (${N} per server per round, ${CONCURRENCY} in flight, median of ${ROUNDS} round(s))`,
    rows,
  );
}

await main();
