/**
 * Revocation cost independent of how many sockets are live: revoke() → client disconnect latency for one socket
 * with 20,000 live sockets on the node against the same with 100. The 100 target users each have one socket on
 * `/`; the other 19,900 sockets are multiplexed (10 namespaces per connection) so they fit this machine's
 * file-descriptor limit. Every socket is authenticated and indexed.
 *
 *   npm run bench:revocation-scale
 */
import { percentile } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';
import { openSockets, serverStats, startSession } from './lib/session.js';
import { hs256Tokens } from './lib/tokens.js';

const NAMESPACES = Array.from({ length: 10 }, (_, i) => `/n${i}`);
const TARGETS = SMOKE ? 10 : 100;
const LARGE = SMOKE ? 210 : 20_000;

async function latencies(liveSockets: number): Promise<number[]> {
  const session = await startSession('sockauth-hs256', { BENCH_NAMESPACES: String(NAMESPACES.length) });
  try {
    await openSockets(session, await hs256Tokens(TARGETS));
    const fillers = Math.ceil((liveSockets - TARGETS) / NAMESPACES.length);
    if (fillers > 0) await openSockets(session, await hs256Tokens(fillers, 3600, {}, 'filler-'), NAMESPACES, 128);
    const { authenticated } = await serverStats(session);
    console.error(`${authenticated} live authenticated sockets`);
    const samples: number[] = [];
    for (let i = 0; i < TARGETS; i++) {
      session.server.send({ type: 'revoke', subject: `user-${i}` });
      const { at, disconnected } = await session.server.next<{ at: number; disconnected: number }>('revoked');
      if (disconnected !== 1) throw new Error(`revoking user-${i} cut ${disconnected} sockets`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      session.client.send({ type: 'cuts' });
      const { cuts } = await session.client.next<{ cuts: { at: number; code?: string }[] }>('cuts');
      samples.push(cuts.at(-1)!.at - at);
    }
    return samples;
  } finally {
    await session.close();
  }
}

const small = await latencies(TARGETS);
const large = await latencies(LARGE);
const p50Small = percentile(small, 50);
const p50Large = percentile(large, 50);
printTable(`Revocation latency vs live sockets (revoke() → the revoked socket disconnected at the client)`, [
  { metric: 'p50 latency (ms)', baseline: `${TARGETS} live sockets`, baselineValue: p50Small, value: p50Large, goal: '≤ 1.5 ×', met: p50Large / p50Small <= 1.5 },
  { metric: 'p99 latency (ms)', baseline: `${TARGETS} live sockets`, baselineValue: percentile(small, 99), value: percentile(large, 99), goal: 'report', met: true },
], `${TARGETS} revocations each; ${LARGE.toLocaleString('en-US')} live sockets in the second run.`);
