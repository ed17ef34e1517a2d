/**
 * A benchmark `ws` server process. Modes:
 * - `bare`: a plain `ws` server, no authentication, the same envelope (the baseline);
 * - `jose-hs256`: a bare `verifyClient` calling jose's `jwtVerify` (the secret imported once): what verification
 *   alone costs;
 * - `sockauth-hs256`: @sockauth/ws with an HS256 secret; `echo` needs `chat:read`.
 * Every accepted connection gets `{ type: 'hello' }`; `echo` messages are acked with their data.
 * IPC: reports `{ type: 'ready', port }`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { jwtVerify } from 'jose';
import { createWsAuth } from '@sockauth/ws';
import { report } from '../lib/fork.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_SECRET } from '../lib/tokens.js';

const mode = process.argv[2] ?? 'bare';
const http = createServer();
const HELLO = JSON.stringify({ type: 'hello' });

/** The unguarded envelope: parse, ack `echo` with its data. */
function bareEnvelope(ws: WebSocket): void {
  ws.on('message', (raw: RawData, isBinary: boolean) => {
    if (isBinary) return;
    let message: { type?: unknown; id?: unknown; data?: unknown };
    try {
      message = JSON.parse(raw.toString());
    } catch {
      return;
    }
    if (message.type === 'echo' && message.id !== undefined) ws.send(JSON.stringify({ type: 'ack', id: message.id, data: message.data }));
  });
}

if (mode === 'sockauth-hs256') {
  const wsAuth = createWsAuth({
    verifier: { algorithms: ['HS256'], secret: BENCH_SECRET, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE },
    events: { echo: 'chat:read' },
  });
  const wss = new WebSocketServer({ server: http, ...wsAuth.serverOptions });
  wsAuth.attach(wss);
  wsAuth.onConnection((ws) => ws.send(HELLO));
  wsAuth.on('echo', (data) => data);
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
  const wss = new WebSocketServer({ server: http, maxPayload: 64 * 1024, ...(verifyClient !== undefined && { verifyClient }) });
  wss.on('connection', (ws) => {
    ws.send(HELLO);
    bareEnvelope(ws);
  });
}

http.listen(0, '127.0.0.1', () => report({ type: 'ready', port: (http.address() as AddressInfo).port }));
