/**
 * Broadcast to a 10,000-socket room: sockauth with room policies in force (every socket joined through
 * `auth.join`) against bare Socket.IO (`socket.join`), both running at once, rounds alternating between them. Room
 * policies are decided at join and on context changes, never per message: the broadcast path is Socket.IO's own,
 * so the goal is a ratio of 1 (≥ 0.98 ×). Measured per round: the server's time to emit the broadcasts (encode
 * once, write to every member), and the time until the client process received every copy.
 *
 *   npm run bench:room-broadcast
 */
import { startWorker, type Worker } from './lib/fork.js';
import { median } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';
import { hs256Tokens } from './lib/tokens.js';

const SOCKETS = SMOKE ? 50 : Number(process.env['BENCH_SOCKETS'] ?? 10_000);
const BROADCASTS = SMOKE ? 2 : 10;
const ROUNDS = SMOKE ? 1 : 5;
const ROOM = 'general';

type Mode = 'bare' | 'sockauth';
interface Side {
  readonly mode: Mode;
  readonly server: Worker;
  readonly client: Worker;
  readonly emitMs: number[];
  readonly deliveredMs: number[];
}

const workers: Worker[] = [];
async function shutdown(): Promise<void> {
  await Promise.allSettled(workers.map((worker) => worker.stop()));
}

async function startSide(mode: Mode): Promise<Side> {
  const server = startWorker('rooms-server', [mode]);
  const client = startWorker('rooms-client');
  workers.push(server, client);
  const [{ port }] = await Promise.all([server.next<{ port: number }>('ready', 60_000), client.next('ready', 60_000)]);
  const url = `http://127.0.0.1:${port}`;
  const tokens = mode === 'sockauth' ? await hs256Tokens(SOCKETS) : [];
  client.send({ type: 'open', sockets: Array.from({ length: SOCKETS }, (_, i) => ({ url, room: ROOM, ...(tokens[i] && { token: tokens[i] }) })), concurrency: 64 });
  const { errors } = await client.next<{ errors: number }>('opened', 600_000);
  if (errors > 0) throw new Error(`${mode}: ${errors} sockets refused`);
  // Joins through auth.join finish after the connection: wait until the room holds every socket.
  for (;;) {
    server.send({ type: 'room-size', room: ROOM });
    const { size } = await server.next<{ size: number }>('room-size');
    if (size === SOCKETS) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { mode, server, client, emitMs: [], deliveredMs: [] };
}

async function round(side: Side): Promise<void> {
  side.client.send({ type: 'reset' });
  await side.client.next('reset-done');
  const started = performance.now();
  side.server.send({ type: 'broadcast', room: ROOM, count: BROADCASTS });
  const delivered = side.client.next<{ received: number }>('messages', 600_000);
  side.client.send({ type: 'wait-messages', total: BROADCASTS * SOCKETS, timeoutMs: 300_000 });
  const { elapsedMs } = await side.server.next<{ elapsedMs: number }>('broadcast');
  const { received } = await delivered;
  if (received !== BROADCASTS * SOCKETS) throw new Error(`${side.mode}: ${received} of ${BROADCASTS * SOCKETS} copies arrived`);
  side.emitMs.push(elapsedMs);
  side.deliveredMs.push(performance.now() - started);
}

try {
  const bare = await startSide('bare');
  const sockauth = await startSide('sockauth');
  console.error(`${SOCKETS} sockets in one room per side; ${ROUNDS} rounds of ${BROADCASTS} broadcasts, sides alternating`);
  await round(bare);
  await round(sockauth); // warm-up round per side, not counted
  bare.emitMs.length = bare.deliveredMs.length = sockauth.emitMs.length = sockauth.deliveredMs.length = 0;
  for (let r = 0; r < ROUNDS; r++) for (const side of r % 2 === 0 ? [bare, sockauth] : [sockauth, bare]) await round(side);
  const copies = BROADCASTS * SOCKETS;
  const rate = (ms: number): number => copies / (ms / 1000);
  const emitRatio = rate(median(sockauth.emitMs)) / rate(median(bare.emitMs));
  const deliveredRatio = rate(median(sockauth.deliveredMs)) / rate(median(bare.deliveredMs));
  printTable(
    `Broadcast to a ${SOCKETS.toLocaleString('en-US')}-socket room (room policies in force vs bare Socket.IO)`,
    [
      { metric: 'copies/s written by the server', baseline: 'bare Socket.IO', baselineValue: rate(median(bare.emitMs)), value: rate(median(sockauth.emitMs)), ratio: emitRatio, goal: '≥ 0.98 ×', met: emitRatio >= 0.98 },
      { metric: 'copies/s delivered to clients', baseline: 'bare Socket.IO', baselineValue: rate(median(bare.deliveredMs)), value: rate(median(sockauth.deliveredMs)), ratio: deliveredRatio, goal: 'report', met: true },
    ],
    `Median of ${ROUNDS} rounds per side (after one warm-up round each) of ${BROADCASTS} broadcasts × ${SOCKETS} members; both sides live at once.`,
  );
} finally {
  await shutdown();
}
