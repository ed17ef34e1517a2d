/**
 * Memory per authenticated connection: 10,000 open sockets on a sockauth server against 10,000 on bare
 * Socket.IO, heap measured in the server process after a full GC, before and after opening them.
 *
 *   npm run bench:memory
 */
import { SMOKE, printTable } from './lib/table.js';
import { openSockets, serverStats, startSession } from './lib/session.js';
import { hs256Tokens } from './lib/tokens.js';

const CONNECTIONS = SMOKE ? 100 : Number(process.env['BENCH_CONNECTIONS'] ?? 10_000);

async function bytesPerConnection(mode: string, tokens: string[]): Promise<number> {
  const session = await startSession(mode);
  try {
    await openSockets(session, tokens.slice(0, 50)); // warm up the code paths before the baseline snapshot
    session.client.send({ type: 'close' });
    await session.client.next('closed');
    const before = await serverStats(session);
    await openSockets(session, tokens, [''], 128);
    const after = await serverStats(session);
    if (after.sockets < CONNECTIONS) throw new Error(`${mode}: only ${after.sockets} of ${CONNECTIONS} sockets open`);
    console.error(`${mode}: heap ${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(after.heapUsed / 2 ** 20).toFixed(1)} MiB for ${after.sockets} sockets`);
    return (after.heapUsed - before.heapUsed) / CONNECTIONS;
  } finally {
    await session.close();
  }
}

const tokens = await hs256Tokens(CONNECTIONS);
const bare = await bytesPerConnection('bare', tokens);
const sockauth = await bytesPerConnection('sockauth-hs256', tokens);
const extra = sockauth - bare;
printTable(`Memory at ${CONNECTIONS.toLocaleString('en-US')} open connections (server heap after GC)`, [
  {
    metric: 'heap bytes per connection',
    baseline: 'bare Socket.IO',
    baselineValue: bare,
    value: sockauth,
    goal: '≤ +1 KiB per connection',
    met: extra <= 1024,
  },
], `sockauth adds ${extra.toFixed(0)} bytes per authenticated connection.`);
