/**
 * Re-auth storm: 10,000 in-band `auth:refresh` re-auths (over 1,000 open sockets, 32 in flight) against
 * 10,000 fresh authenticated handshakes (32 in flight): p99 latency and throughput of each.
 *
 *   npm run bench:reauth
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { percentile } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';
import { openSockets, startSession } from './lib/session.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_SECRET, hs256Tokens } from './lib/tokens.js';

const TOTAL = SMOKE ? 100 : Number(process.env['BENCH_REAUTHS'] ?? 10_000);
const SOCKETS = SMOKE ? 20 : 1_000;
const key = new TextEncoder().encode(BENCH_SECRET);

/** Re-auth token k for socket k % SOCKETS: same subject as that socket's handshake token, a new jti. */
async function reauthTokens(): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(
    Array.from({ length: TOTAL }, (_, k) =>
      new SignJWT({ scope: 'chat:read chat:write' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(`user-${k % SOCKETS}`)
        .setJti(randomUUID())
        .setIssuer(BENCH_ISSUER)
        .setAudience(BENCH_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(key),
    ),
  );
}

const session = await startSession('sockauth-hs256', { BENCH_MAX_REAUTHS: String(TOTAL) });
try {
  await openSockets(session, await hs256Tokens(SOCKETS));
  const refresh = await reauthTokens();
  session.client.send({ type: 'reauth', tokens: refresh, concurrency: 32 });
  const re = await session.client.next<{ errors: number; elapsedMs: number; latencies: number[] }>('reauthed', 600_000);
  if (re.errors > 0) throw new Error(`${re.errors} re-auths failed`);
  session.client.send({ type: 'latency-handshakes', url: session.url, tokens: await hs256Tokens(TOTAL), concurrency: 32 });
  const hs = await session.client.next<{ errors: number; elapsedMs: number; latencies: number[] }>('latency-handshakes', 600_000);
  if (hs.errors > 0) throw new Error(`${hs.errors} handshakes failed`);
  const reRate = (TOTAL / re.elapsedMs) * 1000;
  const hsRate = (TOTAL / hs.elapsedMs) * 1000;
  const reP99 = percentile(re.latencies, 99);
  const hsP99 = percentile(hs.latencies, 99);
  printTable(`Re-auth storm: ${TOTAL.toLocaleString('en-US')} in-band re-auths vs ${TOTAL.toLocaleString('en-US')} fresh handshakes (32 in flight)`, [
    { metric: 'throughput (per s)', baseline: 'fresh handshakes', baselineValue: hsRate, value: reRate, goal: 'report (≥ 1 ×)', met: reRate >= hsRate },
    { metric: 'p99 latency (ms)', baseline: 'fresh handshakes', baselineValue: hsP99, value: reP99, ratio: reP99 / hsP99, goal: 'report (≤ 1 ×)', met: reP99 <= hsP99 },
  ], `p50: re-auth ${percentile(re.latencies, 50).toFixed(2)} ms, handshake ${percentile(hs.latencies, 50).toFixed(2)} ms.`);
} finally {
  await session.close();
}
