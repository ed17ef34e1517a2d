/**
 * Revocation cost independent of how many sockets are live: revoke() → client disconnect latency with 20,000
 * live sockets on the node against the same with 100. Sockets are multiplexed (10 namespaces per connection) so
 * 20,000 sockets fit this machine's file-descriptor limit; every one is authenticated and indexed.
 *
 *   npm run bench:revocation-scale
 */
import { percentile } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';
import { openSockets, serverStats, startSession } from './lib/session.js';
import { hs256Tokens } from './lib/tokens.js';

const NAMESPACES = Array.from({ length: 10 }, (_, i) => `/n${i}`);
const SAMPLES = SMOKE ? 5 : 60;

async function latencies(liveSockets: number): Promise<number[]> {
  const session = await startSession('sockauth-hs256', { BENCH_NAMESPACES: String(NAMESPACES.length) });
  try {
    const connections = Math.max(SAMPLES, Math.ceil(liveSockets / NAMESPACES.length));
    // user-0 … user-(SAMPLES-1) are revoked one by one; each has one connection with 10 sockets.
    await openSockets(session, await hs256Tokens(connections), NAMESPACES, 128);
    const { authenticated } = await serverStats(session);
    console.error(`${authenticated} live authenticated sockets`);
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      session.server.send({ type: 'revoke', subject: `user-${i}` });
      const { at, disconnected } = await session.server.next<{ at: number; disconnected: number }>('revoked');
      if (disconnected !== NAMESPACES.length) throw new Error(`revoking user-${i} cut ${disconnected} sockets`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      session.client.send({ type: 'cuts' });
      const { cuts } = await session.client.next<{ cuts: { at: number; code?: string }[] }>('cuts');
      const last = Math.max(...cuts.slice(-NAMESPACES.length).map((c) => c.at));
      samples.push(last - at);
    }
    return samples;
  } finally {
    await session.close();
  }
}

const small = await latencies(SMOKE ? 20 : 100);
const large = await latencies(SMOKE ? 200 : 20_000);
const p50Small = percentile(small, 50);
const p50Large = percentile(large, 50);
printTable('Revocation latency vs live sockets (revoke() → last of 10 sockets disconnected at the client)', [
  { metric: 'p50 latency (ms)', baseline: `${SMOKE ? 20 : 100} live sockets`, baselineValue: p50Small, value: p50Large, goal: '≤ 1.5 ×', met: p50Large / p50Small <= 1.5 },
  { metric: 'p99 latency (ms)', baseline: `${SMOKE ? 20 : 100} live sockets`, baselineValue: percentile(small, 99), value: percentile(large, 99), goal: 'report', met: true },
], `${SAMPLES} revocations each; with ${SMOKE ? 200 : 20_000} live sockets.`);
