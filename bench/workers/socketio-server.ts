/**
 * A benchmark server process. Modes:
 * - `bare`: plain Socket.IO, no authentication (the baseline);
 * - `sockauth-hs256` / `sockauth-es256`: @sockauth/socket.io with an HS256 secret / a local ES256 JWKS;
 * - `thream`: @thream/socketio-jwt (jsonwebtoken underneath), the best-known peer library;
 * - `jose-hs256` / `jose-es256`: a bare middleware calling jose's `jwtVerify` (the secret imported once as a
 *   `CryptoKey` / jose's local JWKS; same issuer/audience checks): the library sockauth builds on, and nothing else.
 * The `echo` event (acked with its argument) needs `chat:read` under sockauth. Environment: BENCH_JWKS (ES256),
 * BENCH_NAMESPACES (extra namespaces /n0…), BENCH_WARN_SEC, BENCH_TOLERANCE_SEC, BENCH_MAX_REAUTHS.
 * IPC: reports `{ type: 'ready', port }`; answers `stats`, `revoke`, `eld-start`/`eld-stop`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { authorize } from '@thream/socketio-jwt';
import { createLocalJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { createSockAuth } from '@sockauth/socket.io';
import { eventLoopDelayOverIpc } from '../lib/event-loop.js';
import { report } from '../lib/fork.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_SECRET } from '../lib/tokens.js';

const mode = process.argv[2] ?? 'bare';
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const jwks = process.env['BENCH_JWKS'] ? JSON.parse(process.env['BENCH_JWKS']) : undefined;

const http = createServer();
const io = new Server(http, { transports: ['websocket'] });
const verifierBase = { issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE, clockToleranceSec: env('BENCH_TOLERANCE_SEC', 5) };
/** Wall-clock times (ms) at which the server cut a socket for expiry: the expiry storm's measure. */
const expiries: number[] = [];
const sockAuthOptions = {
  events: { echo: 'chat:read' },
  hooks: { onExpire: () => void expiries.push(performance.timeOrigin + performance.now()) },
  warnBeforeSec: env('BENCH_WARN_SEC', 30),
  maxReauthsPerMinute: env('BENCH_MAX_REAUTHS', 10),
};
const auth =
  mode === 'sockauth-hs256'
    ? createSockAuth({ verifier: { algorithms: ['HS256'], secret: BENCH_SECRET, ...verifierBase }, ...sockAuthOptions })
    : mode === 'sockauth-es256'
      ? createSockAuth({ verifier: { algorithms: ['ES256'], jwks, ...verifierBase }, ...sockAuthOptions })
      : undefined;
if (auth) auth.attach(io);
if (mode === 'thream') io.use(authorize({ secret: BENCH_SECRET, algorithms: ['HS256'] }));
if (mode === 'jose-hs256' || mode === 'jose-es256') {
  const hs = mode === 'jose-hs256';
  const key: Awaited<ReturnType<typeof crypto.subtle.importKey>> | JWTVerifyGetKey = hs
    ? await crypto.subtle.importKey('raw', new TextEncoder().encode(BENCH_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    : createLocalJWKSet(jwks);
  const options = { algorithms: [hs ? 'HS256' : 'ES256'], issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE, clockTolerance: verifierBase.clockToleranceSec };
  io.use((socket, next) => {
    const token = String(socket.handshake.auth['token']);
    (typeof key === 'function' ? jwtVerify(token, key, options) : jwtVerify(token, key, options)).then(
      ({ payload }) => {
        socket.data.claims = payload;
        next();
      },
      () => next(new Error('unauthorized')),
    );
  });
}

const onConnection = (socket: Socket): void => {
  socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value));
};
io.on('connection', onConnection);
for (let i = 0; i < env('BENCH_NAMESPACES', 0); i++) io.of(`/n${i}`).on('connection', onConnection);

const eventLoopDelay = eventLoopDelayOverIpc(5);

http.listen(0, '127.0.0.1', () => report({ type: 'ready', port: (http.address() as AddressInfo).port }));

process.on('message', async (message: Record<string, any>) => {
  if (eventLoopDelay(message)) return;
  switch (message['type']) {
    case 'stats': {
      for (let i = 0; i < 3; i++) global.gc?.();
      const { heapUsed, rss } = process.memoryUsage();
      let sockets = 0;
      for (const nsp of (io as unknown as { _nsps: Map<string, { sockets: Map<string, unknown> }> })._nsps.values()) sockets += nsp.sockets.size;
      report({ type: 'stats', heapUsed, rss, sockets, authenticated: auth?.size ?? 0 });
      break;
    }
    case 'revoke': {
      const at = performance.timeOrigin + performance.now();
      const { disconnected } = await auth!.revoke({ subject: message['subject'] });
      report({ type: 'revoked', at, disconnected, doneAt: performance.timeOrigin + performance.now() });
      break;
    }
    case 'expiries':
      report({ type: 'expiries', times: expiries });
      break;
  }
});
process.on('SIGTERM', () => process.exit(0));
