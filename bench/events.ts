/**
 * Per-event permission checks: acked events per second through sockauth's `socket.use` check (the `echo` event
 * needs `chat:read`) against the same handler on bare Socket.IO; and a NestJS gateway with
 * `@RequirePermissions('chat:read')` enforced by SockAuthModule (no guard) against the same gateway without
 * sockauth, with WsAuthGuard and a no-op guard as reference rows. Server and client in separate processes,
 * 64 sockets, 32 events in flight, alternating rounds, medians.
 *
 *   npm run bench:events
 */
import { median } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';
import { openSockets, startSession } from './lib/session.js';
import { hs256Tokens } from './lib/tokens.js';

const EVENTS = SMOKE ? 200 : Number(process.env['BENCH_EVENTS'] ?? 40_000);
// Single rounds of one mode vary by up to 1.5× on a shared 2-core machine: five alternating rounds, median reported.
const ROUNDS = SMOKE ? 1 : Number(process.env['BENCH_ROUNDS'] ?? 5);
const MODES = ['bare', 'sockauth-hs256', 'nest-bare', 'nest-decorated', 'nest-guarded', 'nest-noop-guard'] as const;

async function rate(mode: (typeof MODES)[number]): Promise<number> {
  const session = mode.startsWith('nest-') ? await startSession(mode.slice(5), {}, 'nest-server') : await startSession(mode);
  try {
    await openSockets(session, await hs256Tokens(64));
    const run = async (count: number): Promise<number> => {
      session.client.send({ type: 'echo', count, concurrency: 32 });
      const result = await session.client.next<{ count: number; errors: number; elapsedMs: number }>('echoed');
      if (result.errors > 0) throw new Error(`${mode}: ${result.errors} events were refused`);
      return (result.count / result.elapsedMs) * 1000;
    };
    await run(Math.ceil(EVENTS / 4)); // warm-up
    return await run(EVENTS);
  } finally {
    await session.close();
  }
}

const results: Record<string, number[]> = Object.fromEntries(MODES.map((m) => [m, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? MODES : [...MODES].reverse();
  for (const mode of order) {
    const value = await rate(mode);
    results[mode]!.push(value);
    console.error(`round ${round + 1}/${ROUNDS} ${mode}: ${value.toFixed(0)} acked events/s`);
  }
}
const m = (mode: (typeof MODES)[number]): number => median(results[mode]!);
printTable(`Per-event permission checks (${EVENTS} acked events, 32 in flight, median of ${ROUNDS})`, [
  { metric: 'acked events/s, Socket.IO event map', baseline: 'bare Socket.IO handler', baselineValue: m('bare'), value: m('sockauth-hs256'), goal: '≥ 0.97 ×', met: m('sockauth-hs256') / m('bare') >= 0.97 },
  { metric: 'acked events/s, guarded Nest gateway (decorators enforced by SockAuthModule)', baseline: 'unguarded Nest gateway', baselineValue: m('nest-bare'), value: m('nest-decorated'), goal: '≥ 0.95 ×', met: m('nest-decorated') / m('nest-bare') >= 0.95 },
  { metric: 'acked events/s, Nest WsAuthGuard', baseline: 'unguarded Nest gateway', baselineValue: m('nest-bare'), value: m('nest-guarded'), goal: 'report', met: true },
  { metric: 'acked events/s, Nest WsAuthGuard', baseline: 'gateway with a no-op guard', baselineValue: m('nest-noop-guard'), value: m('nest-guarded'), goal: 'report', met: true },
], 'The unguarded gateway runs without sockauth. The no-op guard row separates what any Nest guard costs (its guard pipeline per message) from what WsAuthGuard adds.');
