/**
 * One node of a benchmark cluster on a shared Redis (`BENCH_REDIS_URL`), wired the way examples/socketio-chat runs
 * in REDIS_URL mode: the Socket.IO Redis adapter (RESP2 clients) carries broadcasts between nodes, and in
 * `sockauth` mode a `RedisRevocationStore` carries revocations. Modes:
 * - `sockauth`: @sockauth/socket.io (HS256) with the Redis revocation store; `revoke` calls
 *   `auth.revoke({ sessionId })`;
 * - `bare`: plain Socket.IO; `revoke` cuts the session's room on every node with
 *   `io.in(room).disconnectSockets(true)` (the Socket.IO way to cut remote sockets).
 * Every socket joins the room `session:<handshake.auth.session>` at connect, in both modes, so the two differ
 * only in authentication and in how a session is cut. `BENCH_ADAPTER_KEY` keeps two clusters on one Redis apart.
 * IPC: reports `{ type: 'ready', port }`; answers `{ type: 'revoke', session }` with
 * `{ type: 'revoked', session, at, doneAt }` (wall-clock ms: `performance.timeOrigin + performance.now()`, which
 * processes on one machine share) and `{ type: 'count' }` with `{ type: 'count', sockets }`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { RedisRevocationStore } from '@sockauth/redis';
import { createSockAuth } from '@sockauth/socket.io';
import { createClient } from 'redis';
import { Server, type Socket } from 'socket.io';
import { report } from '../lib/fork.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_SECRET } from '../lib/tokens.js';

const mode = process.argv[2];
const url = process.env['BENCH_REDIS_URL'];
if (mode !== 'sockauth' && mode !== 'bare') throw new TypeError('redis-node: mode must be "sockauth" or "bare"');
if (url === undefined || url === '') throw new TypeError('redis-node: BENCH_REDIS_URL is required');
const wallClock = (): number => performance.timeOrigin + performance.now();

// RESP2 for the adapter: @socket.io/redis-adapter 8 parses RESP2 replies (as in examples/socketio-chat).
const pubClient = createClient({ url, RESP: 2 });
const subClient = pubClient.duplicate();
// node-redis reports every failed reconnection attempt as 'error' (e.g. while the benchmark stops Redis last).
pubClient.on('error', () => undefined);
subClient.on('error', () => undefined);
const revocationStore = mode === 'sockauth' ? new RedisRevocationStore({ url }) : undefined;
await Promise.all([pubClient.connect(), subClient.connect(), revocationStore?.ready()]);

const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  adapter: createAdapter(pubClient, subClient, { key: process.env['BENCH_ADAPTER_KEY'] ?? 'socket.io' }),
});
const auth = revocationStore
  ? createSockAuth({
      verifier: { algorithms: ['HS256'], secret: BENCH_SECRET, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE },
      revocationStore,
    }).attach(io)
  : undefined;

const roomOf = (session: unknown): string => `session:${String(session)}`;
io.on('connection', (socket: Socket) => void socket.join(roomOf(socket.handshake.auth['session'])));

http.listen(0, '127.0.0.1', () => report({ type: 'ready', port: (http.address() as AddressInfo).port }));

process.on('message', async (message: Record<string, any>) => {
  switch (message['type']) {
    case 'revoke': {
      const session = String(message['session']);
      const at = wallClock();
      if (auth) await auth.revoke({ sessionId: session });
      else io.in(roomOf(session)).disconnectSockets(true);
      report({ type: 'revoked', session, at, doneAt: wallClock() });
      break;
    }
    case 'count':
      report({ type: 'count', sockets: io.of('/').sockets.size });
      break;
  }
});
process.on('SIGTERM', () => process.exit(0));
// The parent died without stopping this worker (e.g. SIGKILL): do not outlive it with an open port.
process.on('disconnect', () => process.exit(0));
