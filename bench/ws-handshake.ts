/**
 * Authenticated WebSocket upgrades per second, a distinct HS256 token per connection (Authorization header):
 * @sockauth/ws against a bare `ws` server (no authentication), a bare jose `verifyClient` and the seed's hand-written
 * `jsonwebtoken` pattern (verify on `connection`, `terminate()` on a bad token), in one run. Server and
 * client in separate processes, 32 upgrades in flight, a warm-up per server, rounds alternating the order, medians.
 *
 *   npm run bench:ws            (BENCH_SMOKE=1 for a seconds-long smoke run)
 */
import { median } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';
import { startWorker } from './lib/fork.js';
import { hs256Tokens } from './lib/tokens.js';

const N = SMOKE ? 40 : Number(process.env['BENCH_HANDSHAKES'] ?? 1500);
const WARMUP = SMOKE ? 20 : Number(process.env['BENCH_WARMUP'] ?? 3000);
const ROUNDS = SMOKE ? 1 : Number(process.env['BENCH_ROUNDS'] ?? 5);
const MODES = ['bare', 'jose-hs256', 'sockauth-hs256', 'seed-jsonwebtoken'] as const;
type Mode = (typeof MODES)[number];

const client = startWorker('ws-client');
await client.next('ready');
const results: Record<Mode, number[]> = { bare: [], 'jose-hs256': [], 'sockauth-hs256': [], 'seed-jsonwebtoken': [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) {
      const server = startWorker('ws-server', [mode]);
      try {
        const { port } = await server.next<{ port: number }>('ready');
        const url = `ws://127.0.0.1:${port}/`;
        const run = async (tokens: string[]): Promise<number> => {
          client.send({ type: 'handshakes', url, tokens, concurrency: 32 });
          const result = await client.next<{ count: number; errors: number; elapsedMs: number }>('handshakes');
          if (result.errors > 0) throw new Error(`${mode}: ${result.errors} of ${result.count} upgrades failed`);
          return (result.count / result.elapsedMs) * 1000;
        };
        await run(await hs256Tokens(WARMUP, 3600, {}, `warm-${round}-`));
        const value = await run(await hs256Tokens(N, 3600, {}, `r${round}-`));
        results[mode].push(value);
        console.error(`round ${round + 1}/${ROUNDS} ${mode}: ${value.toFixed(0)} upgrades/s`);
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await client.stop();
}
const m = (mode: Mode): number => median(results[mode]);
printTable(`WebSocket upgrades, distinct HS256 tokens (${N} per round, 32 in flight, median of ${ROUNDS})`, [
  { metric: 'upgrades/s, @sockauth/ws HS256', baseline: 'bare ws, no auth', baselineValue: m('bare'), value: m('sockauth-hs256'), goal: '≥ 0.90 ×', met: m('sockauth-hs256') / m('bare') >= 0.9 },
  { metric: 'upgrades/s, @sockauth/ws HS256', baseline: 'ws + bare jose verifyClient', baselineValue: m('jose-hs256'), value: m('sockauth-hs256'), goal: 'report', met: true },
  { metric: 'upgrades/s, @sockauth/ws HS256', baseline: 'seed: ws + jsonwebtoken + connectedUsers', baselineValue: m('seed-jsonwebtoken'), value: m('sockauth-hs256'), goal: 'report', met: true },
], 'The jose row separates what verifying a JWT costs at all from what sockauth adds on top (sources, redaction, session); the seed row is the hand-written code sockauth replaces (it verifies after accepting the upgrade and terminates a bad token).');
