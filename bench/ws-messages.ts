/**
 * Acked envelope messages per second over @sockauth/ws with per-type checks (`echo` needs `chat:read`) against the
 * same `{ type, id, data }` envelope on a bare `ws` server and on the seed's hand-written `jsonwebtoken` server (a
 * `connectedUsers` lookup and scope check in `ws.on('message')`), in one run: 64 connections, 32 messages in flight,
 * rounds alternating the order, medians.
 *
 *   npm run bench:ws            (BENCH_SMOKE=1 for a seconds-long smoke run)
 */
import { median } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';
import { startWorker } from './lib/fork.js';
import { hs256Tokens } from './lib/tokens.js';

const MESSAGES = SMOKE ? 200 : Number(process.env['BENCH_EVENTS'] ?? 40_000);
const ROUNDS = SMOKE ? 1 : Number(process.env['BENCH_ROUNDS'] ?? 5);
const MODES = ['bare', 'sockauth-hs256', 'seed-jsonwebtoken'] as const;
type Mode = (typeof MODES)[number];

const results: Record<Mode, number[]> = { bare: [], 'sockauth-hs256': [], 'seed-jsonwebtoken': [] };
const tokens = await hs256Tokens(64);
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) {
    const server = startWorker('ws-server', [mode]);
    const client = startWorker('ws-client');
    try {
      const { port } = await server.next<{ port: number }>('ready');
      await client.next('ready');
      client.send({ type: 'open', url: `ws://127.0.0.1:${port}/`, tokens });
      const opened = await client.next<{ errors: number }>('opened');
      if (opened.errors > 0) throw new Error(`${mode}: ${opened.errors} connections failed`);
      const run = async (count: number): Promise<number> => {
        client.send({ type: 'echo', count, concurrency: 32 });
        const result = await client.next<{ count: number; errors: number; elapsedMs: number }>('echoed');
        if (result.errors > 0) throw new Error(`${mode}: ${result.errors} messages were refused`);
        return (result.count / result.elapsedMs) * 1000;
      };
      await run(Math.ceil(MESSAGES / 4)); // warm-up
      const value = await run(MESSAGES);
      results[mode].push(value);
      console.error(`round ${round + 1}/${ROUNDS} ${mode}: ${value.toFixed(0)} acked messages/s`);
    } finally {
      await client.stop();
      await server.stop();
    }
  }
}
const m = (mode: Mode): number => median(results[mode]);
printTable(`Acked envelope messages with per-type checks (${MESSAGES} messages, 64 connections, 32 in flight, median of ${ROUNDS})`, [
  { metric: 'acked messages/s, @sockauth/ws per-type check', baseline: 'bare ws, same envelope unguarded', baselineValue: m('bare'), value: m('sockauth-hs256'), goal: '≥ 0.97 ×', met: m('sockauth-hs256') / m('bare') >= 0.97 },
  { metric: 'acked messages/s, @sockauth/ws per-type check', baseline: 'seed: ws + jsonwebtoken + connectedUsers', baselineValue: m('seed-jsonwebtoken'), value: m('sockauth-hs256'), goal: 'report', met: true },
]);
