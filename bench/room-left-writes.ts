/**
 * What one chunk of `auth:room-left` pushes blocks the event loop for, the two ways a Socket.IO transport can write
 * it: one `socket.emit` per socket (one encode each) against one broadcast to the sockets' own-id rooms
 * (`nsp.local.to(ids).emit`, encoded once: `SessionTransport.sendMany`). One process, a real Socket.IO server and
 * 2,000 real `socket.io-client` sockets over loopback; the synchronous write time of a chunk of 500, rounds
 * alternating the two ways, each round waiting until every client received its push. Median of the rounds.
 *
 *   npm run bench:room-left-writes
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { SMOKE, printTable } from './lib/table.js';

const SOCKETS = SMOKE ? 100 : 2_000;
const CHUNK = SMOKE ? 50 : 500;
const ROUNDS = SMOKE ? 2 : 20;
const payload = { room: 'tenant:T:general', code: 'AUTH_FORBIDDEN', action: 'none' };

const http = createServer();
const io = new Server(http, { transports: ['websocket'] });
const sockets: Socket[] = [];
io.on('connection', (socket) => void sockets.push(socket));
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
const clients: ClientSocket[] = [];
let received = 0;
for (let i = 0; i < SOCKETS; i += 100) {
  await Promise.all(
    Array.from({ length: Math.min(100, SOCKETS - i) }, () => {
      const client = connectClient(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      client.on('auth:room-left', () => void received++);
      clients.push(client);
      return new Promise<void>((resolve) => client.once('connect', () => resolve()));
    }),
  );
}
while (sockets.length < SOCKETS) await new Promise((resolve) => setImmediate(resolve));

async function round(how: 'each' | 'broadcast'): Promise<number> {
  const before = received;
  const started = performance.now();
  for (let i = 0; i < SOCKETS; i += CHUNK) {
    const chunk = sockets.slice(i, i + CHUNK);
    if (how === 'each') for (const socket of chunk) socket.emit('auth:room-left', payload);
    else io.of('/').local.to(chunk.map((socket) => socket.id)).emit('auth:room-left', payload);
  }
  const perChunk = (performance.now() - started) / Math.ceil(SOCKETS / CHUNK);
  while (received < before + SOCKETS) await new Promise((resolve) => setTimeout(resolve, 5));
  return perChunk;
}

const times = { each: [] as number[], broadcast: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  for (const how of r % 2 === 0 ? (['each', 'broadcast'] as const) : (['broadcast', 'each'] as const)) times[how].push(await round(how));
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
printTable(
  `One chunk of ${CHUNK} auth:room-left pushes to ${SOCKETS.toLocaleString('en-US')} sockets: synchronous write time`,
  [
    { metric: 'per chunk, median of rounds (ms)', baseline: 'socket.emit per socket', baselineValue: median(times.each), value: median(times.broadcast), goal: 'report', met: true },
    { metric: 'per chunk, fastest round (ms)', baseline: 'socket.emit per socket', baselineValue: Math.min(...times.each), value: Math.min(...times.broadcast), goal: 'report', met: true },
  ],
  `sockauth = one nsp.local.to(ids).emit per chunk (sendMany); ${ROUNDS} rounds alternating; ratio = broadcast / per-socket emit.`,
);
for (const client of clients) client.close();
await io.close();
