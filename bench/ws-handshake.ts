/**
 * Authenticated WebSocket upgrades per second, a distinct HS256 token per connection (Authorization header):
 * @sockauth/ws against a bare `ws` server (no authentication), a bare jose `verifyClient` and the seed's hand-written
 * `jsonwebtoken` pattern (verify on `connection`, `terminate()` on a bad token), in one run. Server and
 * client in separate processes, 32 upgrades in flight, the same warm-up and the same tokens for every server of a
 * round (each server is a fresh process, so no cache has seen them), rounds alternating the order, medians. Besides
 * the rate, the server process's CPU per upgrade (`process.cpuUsage`, every thread): the client shares the two cores
 * with the server and with whatever else runs, so the rate moves with the machine's load, the server's CPU much less.
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
const ALL_MODES = ['bare', 'jose-hs256', 'sockauth-hs256', 'seed-jsonwebtoken'] as const;
type Mode = (typeof ALL_MODES)[number];
/** BENCH_MODES=jose-hs256,sockauth-hs256: only those servers (a quicker A/B; rows of a mode left out read NaN). */
const MODES = ALL_MODES.filter((mode) => process.env['BENCH_MODES']?.split(',').includes(mode) ?? true);

const client = startWorker('ws-client');
await client.next('ready');
const rates: Record<Mode, number[]> = { bare: [], 'jose-hs256': [], 'sockauth-hs256': [], 'seed-jsonwebtoken': [] };
const cpu: Record<Mode, number[]> = { bare: [], 'jose-hs256': [], 'sockauth-hs256': [], 'seed-jsonwebtoken': [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    const warmup = await hs256Tokens(WARMUP, 3600, {}, `warm-${round}-`);
    const tokens = await hs256Tokens(N, 3600, {}, `r${round}-`);
    for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) {
      const server = startWorker('ws-server', [mode]);
      try {
        const { port } = await server.next<{ port: number }>('ready');
        const url = `ws://127.0.0.1:${port}/`;
        const serverCpu = async (): Promise<number> => {
          server.send({ type: 'cpu' });
          const { user, system } = await server.next<{ user: number; system: number }>('cpu');
          return user + system;
        };
        const run = async (list: string[]): Promise<number> => {
          client.send({ type: 'handshakes', url, tokens: list, concurrency: 32 });
          const result = await client.next<{ count: number; errors: number; elapsedMs: number }>('handshakes');
          if (result.errors > 0) throw new Error(`${mode}: ${result.errors} of ${result.count} upgrades failed`);
          return (result.count / result.elapsedMs) * 1000;
        };
        await run(warmup);
        const cpuBefore = await serverCpu();
        const value = await run(tokens);
        const cpuPerUpgrade = ((await serverCpu()) - cpuBefore) / N;
        rates[mode].push(value);
        cpu[mode].push(cpuPerUpgrade);
        console.error(`round ${round + 1}/${ROUNDS} ${mode}: ${value.toFixed(0)} upgrades/s, server ${cpuPerUpgrade.toFixed(0)} µs CPU per upgrade`);
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await client.stop();
}
const m = (mode: Mode): number => median(rates[mode]);
const c = (mode: Mode): number => median(cpu[mode]);
const sockauth = 'sockauth-hs256';
printTable(`WebSocket upgrades, distinct HS256 tokens (${N} per round, 32 in flight, median of ${ROUNDS})`, [
  { metric: 'upgrades/s, @sockauth/ws HS256', baseline: 'ws + bare jose verifyClient', baselineValue: m('jose-hs256'), value: m(sockauth), goal: '≥ 0.90 ×', met: m(sockauth) / m('jose-hs256') >= 0.9 },
  { metric: 'upgrades/s, @sockauth/ws HS256', baseline: 'bare ws, no auth', baselineValue: m('bare'), value: m(sockauth), goal: 'report', met: true },
  { metric: 'upgrades/s, @sockauth/ws HS256', baseline: 'seed: ws + jsonwebtoken + connectedUsers', baselineValue: m('seed-jsonwebtoken'), value: m(sockauth), goal: 'report', met: true },
  // Lower is better: the ratio is the baseline's CPU over sockauth's, so it reads like the rate ratios above.
  { metric: 'server CPU µs per upgrade', baseline: 'ws + bare jose verifyClient', baselineValue: c('jose-hs256'), value: c(sockauth), ratio: c('jose-hs256') / c(sockauth), goal: '≥ 0.90 ×', met: c('jose-hs256') / c(sockauth) >= 0.9 },
  { metric: 'server CPU µs per upgrade', baseline: 'bare ws, no auth', baselineValue: c('bare'), value: c(sockauth), ratio: c('bare') / c(sockauth), goal: 'report', met: true },
],
  'Issue #17 asks for 0.90 × "bare ws with HS256": the goal is judged on the ws + bare jose row, ws doing the same HS256 verification ' +
  'with jose itself, so the ratio is what sockauth adds on top of jose. Against bare ws (no verification at all) the ratio also counts ' +
  "jose's own cost (a quarter or more of an upgrade here), which no jose-based verifier can remove. CPU ratios are baseline CPU / sockauth CPU " +
  '(higher is better, like the rates). The seed row is the hand-written code sockauth replaces (it verifies after accepting the upgrade and ' +
  'terminates a bad token).',
);
