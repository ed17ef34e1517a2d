/**
 * Memory per authenticated WebSocket: 10,000 open connections on an @sockauth/ws server against 10,000 on a bare
 * `ws` server (and the seed's hand-written `jsonwebtoken` server, for reference), heap measured in the server
 * process after a full GC, before and after opening them (the method of `bench/memory.ts`). Bounded: a fixed
 * count, every wait under a timeout, each server and client process stopped at the end.
 *
 *   npm run bench:ws            (BENCH_SMOKE=1 for a seconds-long smoke run; BENCH_CONNECTIONS to change the count)
 */
import { SMOKE, printTable } from './lib/table.js';
import { startWorker } from './lib/fork.js';
import { hs256Tokens } from './lib/tokens.js';

const CONNECTIONS = SMOKE ? 100 : Number(process.env['BENCH_CONNECTIONS'] ?? 10_000);
const MODES = ['bare', 'sockauth-hs256', 'seed-jsonwebtoken'] as const;
type Stats = { heapUsed: number; rss: number; sockets: number };

async function bytesPerConnection(mode: (typeof MODES)[number], tokens: string[]): Promise<number> {
  const server = startWorker('ws-server', [mode]);
  const client = startWorker('ws-client');
  try {
    const [{ port }] = await Promise.all([server.next<{ port: number }>('ready'), client.next('ready')]);
    const url = `ws://127.0.0.1:${port}/`;
    const open = async (batch: string[]): Promise<void> => {
      client.send({ type: 'open', url, tokens: batch });
      const opened = await client.next<{ errors: number }>('opened', 600_000);
      if (opened.errors > 0) throw new Error(`${mode}: ${opened.errors} of ${batch.length} connections were refused`);
    };
    const stats = async (): Promise<Stats> => {
      server.send({ type: 'stats' });
      return server.next<Stats>('stats');
    };
    await open(tokens.slice(0, 50)); // warm up the code paths before the baseline snapshot
    client.send({ type: 'close' });
    await client.next('closed');
    // Terminated connections leave the server's set once their close is processed: wait for an empty server.
    const deadline = Date.now() + 10_000;
    let before = await stats();
    while (before.sockets > 0 && Date.now() < deadline) before = await stats();
    if (before.sockets > 0) throw new Error(`${mode}: ${before.sockets} warm-up connections still open after 10 s`);
    await open(tokens);
    const after = await stats();
    if (after.sockets < CONNECTIONS) throw new Error(`${mode}: only ${after.sockets} of ${CONNECTIONS} connections open`);
    console.error(`${mode}: heap ${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(after.heapUsed / 2 ** 20).toFixed(1)} MiB for ${after.sockets} connections`);
    return (after.heapUsed - before.heapUsed) / CONNECTIONS;
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
}

const tokens = await hs256Tokens(CONNECTIONS);
const bytes = {} as Record<(typeof MODES)[number], number>;
for (const mode of MODES) bytes[mode] = await bytesPerConnection(mode, tokens);
const extra = bytes['sockauth-hs256'] - bytes.bare;
printTable(`WebSocket memory at ${CONNECTIONS.toLocaleString('en-US')} open connections (server heap after GC)`, [
  { metric: 'heap bytes per connection, @sockauth/ws', baseline: 'bare ws, no auth', baselineValue: bytes.bare, value: bytes['sockauth-hs256'], goal: '≤ +1 KiB per connection', met: extra <= 1024 },
  { metric: 'heap bytes per connection, @sockauth/ws', baseline: 'seed: ws + jsonwebtoken + connectedUsers', baselineValue: bytes['seed-jsonwebtoken'], value: bytes['sockauth-hs256'], goal: 'report', met: true },
], `@sockauth/ws adds ${extra.toFixed(0)} bytes per authenticated connection over bare ws.`);
