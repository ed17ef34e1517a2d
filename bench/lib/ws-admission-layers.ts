/**
 * The layers of a plain-WebSocket upgrade through `@sockauth/ws`, in one process (no sockets, no kernel, no client:
 * only the server's own CPU), for `bench/profiles/ws-admission.ts` and `ws-admission-ab.ts`. Each layer takes one
 * token and resolves once it is done with it:
 * - `jose`: the ws + bare jose baseline's `verifyClient` body (header regex, `jwtVerify` with a `CryptoKey`);
 * - `verifier`: `createVerifier(...).verify` (shape, digest, cache, `jwtVerify`, duplicate members, claim checks);
 * - `authenticate`: `ConnectionAuth.authenticate` (the verifier, the context, the revocation store), then close;
 * - `verifyClient`: `wsAuth.serverOptions.verifyClient` on a request object (token sources, redaction, session),
 *   then the client leaves (its TCP socket closes: released);
 * - `upgrade`: `verifyClient`, then the `'connection'` of a stand-in socket (admission: index, hooks, `onConnection`)
 *   and its close (release).
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { jwtVerify } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_SECRET } from './tokens.js';

export type Layer = (token: string) => Promise<unknown>;
export const LAYER_NAMES = ['jose', 'verifier', 'authenticate', 'verifyClient', 'upgrade'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

/** One sockauth's layers, and what stops them (its `WsAuth`). */
export interface AdmissionLayers {
  readonly layers: Readonly<Record<LayerName, Layer>>;
  close(): void;
}

const claimOptions = { algorithms: ['HS256'], issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE };

/** A stand-in for what `ws` hands over: what the adapter touches of a socket. */
class StandInSocket extends EventEmitter {
  readyState = 1;
  send(): void {}
  close(): void {
    this.readyState = 3;
  }
  ping(): void {}
  terminate(): void {}
}

/** An upgrade request carrying `token` in its Authorization header, on a stand-in TCP socket. */
function request(token: string): IncomingMessage {
  const socket = Object.assign(new EventEmitter(), { destroyed: false });
  const headers = { host: '127.0.0.1', authorization: `Bearer ${token}`, upgrade: 'websocket', connection: 'Upgrade' };
  return { url: '/', headers, rawHeaders: Object.entries(headers).flat(), socket } as unknown as IncomingMessage;
}

/** The layers of the sockauth whose `@sockauth/core` and `@sockauth/ws` modules are given (one tree's, or another's). */
export async function admissionLayers(
  core: Pick<typeof import('@sockauth/core'), 'ConnectionAuth' | 'MemoryRevocationStore' | 'createVerifier'>,
  { createWsAuth }: Pick<typeof import('@sockauth/ws'), 'createWsAuth'>,
): Promise<AdmissionLayers> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(BENCH_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const verifier = core.createVerifier({ ...claimOptions, algorithms: ['HS256'], secret: BENCH_SECRET });
  const connectionOptions = {
    verifier: core.createVerifier({ ...claimOptions, algorithms: ['HS256'], secret: BENCH_SECRET }),
    revocationStore: new core.MemoryRevocationStore(),
  };
  const wsAuth = createWsAuth({
    verifier: { algorithms: ['HS256'], secret: BENCH_SECRET, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE },
    events: { echo: 'chat:read' },
  });
  const wss = new WebSocketServer({ noServer: true, ...wsAuth.serverOptions });
  wsAuth.attach(wss);
  const hello = JSON.stringify({ type: 'hello' });
  wsAuth.onConnection((ws) => ws.send(hello));
  const verifyClient = wsAuth.serverOptions.verifyClient as (info: { req: IncomingMessage }, done: (ok: boolean) => void) => void;
  const verifyUpgrade = (req: IncomingMessage): Promise<void> => new Promise((resolve) => verifyClient({ req }, () => resolve()));
  const layers: Record<LayerName, Layer> = {
    jose: (token) => {
      const found = /^Bearer (\S+)$/.exec(request(token).headers.authorization ?? '')?.[1] ?? '';
      return jwtVerify(found, key, claimOptions);
    },
    verifier: (token) => verifier.verify(token),
    authenticate: async (token) => (await core.ConnectionAuth.authenticate(token, connectionOptions)).close(),
    verifyClient: async (token) => {
      const req = request(token);
      await verifyUpgrade(req);
      // Not admitted: the client leaves, the session lets it go.
      (req.socket as EventEmitter).emit('close');
    },
    upgrade: async (token) => {
      const req = request(token);
      await verifyUpgrade(req);
      const ws = new StandInSocket();
      wss.emit('connection', ws as unknown as WebSocket, req);
      if (wsAuth.contextOf(ws as unknown as WebSocket) === undefined) throw new Error('not admitted');
      ws.readyState = 3;
      ws.emit('close', 1000, Buffer.alloc(0));
      (req.socket as EventEmitter).emit('close');
    },
  };
  return { layers, close: () => wsAuth.close() };
}
