/**
 * A benchmark `ws` server process. Modes:
 * - `bare`: a plain `ws` server, no authentication, the same envelope (the baseline);
 * - `jose-hs256`: a bare `verifyClient` calling jose's `jwtVerify` (the secret imported once): what verification
 *   alone costs;
 * - `sockauth-hs256`: @sockauth/ws with an HS256 secret; `echo` needs `chat:read`;
 * - `seed-jsonwebtoken`: the seed's hand-written pattern: `new WebSocket.Server`, the token from the upgrade
 *   request, `jsonwebtoken.verify` on `connection`, a `connectedUsers` map, a scope check in `ws.on('message')`,
 *   `ws.terminate()` on a bad token.
 * Every accepted connection gets `{ type: 'hello' }`; `echo` messages are acked with their data.
 * IPC: reports `{ type: 'ready', port }`; answers `stats` with the heap after a full GC and the open connections, `cpu`
 * with `process.cpuUsage()`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { createWsAuth } from '@sockauth/ws';
import { report } from '../lib/fork.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_SECRET } from '../lib/tokens.js';

const mode = process.argv[2] ?? 'bare';
const http = createServer();
const HELLO = JSON.stringify({ type: 'hello' });

/** The envelope: parse, ack `echo` with its data; unguarded unless `allowed` is given (checked per message). */
function envelope(ws: WebSocket, allowed?: () => boolean): void {
  ws.on('message', (raw: RawData, isBinary: boolean) => {
    if (isBinary || (allowed !== undefined && !allowed())) return;
    let message: { type?: unknown; id?: unknown; data?: unknown };
    try {
      message = JSON.parse(raw.toString());
    } catch {
      return;
    }
    if (message.type === 'echo' && message.id !== undefined) ws.send(JSON.stringify({ type: 'ack', id: message.id, data: message.data }));
  });
}

let wss: WebSocketServer;
if (mode === 'sockauth-hs256') {
  const wsAuth = createWsAuth({
    verifier: { algorithms: ['HS256'], secret: BENCH_SECRET, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE },
    events: { echo: 'chat:read' },
  });
  wss = new WebSocketServer({ server: http, ...wsAuth.serverOptions });
  wsAuth.attach(wss);
  wsAuth.onConnection((ws) => ws.send(HELLO));
  wsAuth.on('echo', (data) => data);
} else if (mode === 'seed-jsonwebtoken') {
  // Written the way the seed's chat server did it, kept as it was (a baseline, not a recommendation).
  const connectedUsers = new Map<string, { ws: WebSocket; scope: string }>();
  wss = new WebSocketServer({ server: http, maxPayload: 64 * 1024 }); // the seed's `new WebSocket.Server` (the same class; ws's ESM entry has no `.Server`)
  wss.on('connection', (ws, req) => {
    const token = (req.headers.authorization ?? '').replace('Bearer ', '');
    let user: jsonwebtoken.JwtPayload;
    try {
      user = jsonwebtoken.verify(token, BENCH_SECRET, { algorithms: ['HS256'], issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE }) as jsonwebtoken.JwtPayload;
    } catch {
      ws.terminate();
      return;
    }
    const userId = String(user.sub);
    connectedUsers.set(userId, { ws, scope: String(user['scope'] ?? '') });
    ws.on('close', () => connectedUsers.delete(userId));
    ws.send(HELLO);
    // The seed's check in `ws.on('message')`: the user is still connected and holds the scope.
    envelope(ws, () => connectedUsers.get(userId)?.scope.split(' ').includes('chat:read') === true);
  });
} else {
  const key =
    mode === 'jose-hs256'
      ? await crypto.subtle.importKey('raw', new TextEncoder().encode(BENCH_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
      : undefined;
  const verifyClient =
    key === undefined
      ? undefined
      : (info: { req: IncomingMessage }, done: (ok: boolean, code?: number) => void): void => {
          const token = /^Bearer (\S+)$/.exec(info.req.headers.authorization ?? '')?.[1] ?? '';
          jwtVerify(token, key, { algorithms: ['HS256'], issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE }).then(
            () => done(true),
            () => done(false, 401),
          );
        };
  wss = new WebSocketServer({ server: http, maxPayload: 64 * 1024, ...(verifyClient !== undefined && { verifyClient }) });
  wss.on('connection', (ws) => {
    ws.send(HELLO);
    envelope(ws);
  });
}

process.on('message', (message: { type?: string }) => {
  // The CPU this process used so far (every thread: jose's WebCrypto HMAC runs on libuv's pool), in µs.
  if (message.type === 'cpu') return report({ type: 'cpu', ...process.cpuUsage() });
  if (message.type !== 'stats') return;
  for (let i = 0; i < 3; i++) global.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  report({ type: 'stats', heapUsed, rss, sockets: wss.clients.size });
});

http.listen(0, '127.0.0.1', () => report({ type: 'ready', port: (http.address() as AddressInfo).port }));
// A clean exit on the benchmark's stop, so BENCH_CPU_PROF's --cpu-prof writes this worker's profile.
process.on('SIGTERM', () => process.exit(0));
