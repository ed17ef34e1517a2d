import { connect as tcpConnect, type NetConnectOpts, type Socket as TcpSocket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { createWebSocketAuthClient, type WebSocketConstructor } from '@sockauth/client';
import { assertKnownKeys, type KnownKeys } from '@sockauth/core';
import { authErrorFromPayload, type AuthErrorPayload } from '@sockauth/core/errors';
import { encodeFrame } from '@sockauth/core/protocol';
import { PROBE_ID, closeReasonData, connectWsAs, wsHandshake } from '../connect-as-ws.js';
import type { RawWebSocket, WsClientSocket } from '../ws-client-socket.js';
import type { ConformanceConnection, ConformanceDriver, ConnectionEnd, EarlyMessageOutcome } from './driver.js';
import { driverConnection } from './driver-connection.js';

/** Options of {@link webSocketDriver}. */
export interface WebSocketDriverOptions {
  /** The path of the server's WebSocket endpoint, e.g. `/ws` (default `/`). */
  readonly path?: string;
  /**
   * Where the token goes at the upgrade: `'subprotocol'` (default; `["sockauth", "sockauth.bearer.<token>"]`, what
   * browsers send) or `'header'` (`Authorization: Bearer <token>`).
   */
  readonly credentials?: 'subprotocol' | 'header';
  /**
   * The WebSocket constructor of the `@sockauth/client` the client flows build. Default: `globalThis.WebSocket`
   * (Node ≥ 22); in Node 20 pass the `ws` package's.
   */
  readonly WebSocket?: WebSocketConstructor;
}

const WEB_SOCKET_DRIVER_OPTION_KEYS = { path: true, credentials: true, WebSocket: true } as const satisfies KnownKeys<WebSocketDriverOptions>;

/** The id of the message sent before the handshake is answered (the flows look for its ack). */
const EARLY_ID = 'sockauth-conformance:early';

/** `ws`'s frame encoder (not in its type definitions): masked client frames, as its own client writes them. */
interface WsSender {
  frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[];
}

/** The `ws` package's client options the probe uses. */
interface WsClientOptions {
  readonly headers: Record<string, string>;
  readonly createConnection?: (options: NetConnectOpts & ConnectionOptions & { socketPath?: string }) => TcpSocket;
}

/** `http://host:port` (or `ws://…`) and `path` → `ws://host:port/path`. */
function endpoint(url: string, path: string): string {
  const target = new URL(path, url);
  if (target.protocol === 'http:') target.protocol = 'ws:';
  else if (target.protocol === 'https:') target.protocol = 'wss:';
  return target.href;
}

/**
 * Opens the TCP (or TLS) connection of an upgrade request so that `frame` leaves in the same write as the request:
 * the server holds the frame in the bytes that followed the request (`ws`'s `head`) before it answered anything.
 */
function writingFrameWithRequest(frame: readonly Buffer[], secure: boolean): WsClientOptions['createConnection'] {
  return (options) => {
    // As `ws` does: a `socketPath` of the request is the `path` of the connection.
    const socket = secure ? tlsConnect({ ...options, path: options.socketPath }) : tcpConnect({ ...options, path: options.socketPath } as NetConnectOpts);
    socket.setNoDelay(true);
    const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
    let first = true;
    socket.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (!first) return write(chunk, ...rest);
      first = false;
      const request = typeof chunk === 'string' ? Buffer.from(chunk, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'latin1') : chunk;
      return write(Buffer.concat([request, ...frame]), ...rest.filter((arg) => typeof arg === 'function'));
    }) as typeof socket.write;
    return socket;
  };
}

function connection(socket: WsClientSocket): ConformanceConnection {
  let lastPush: AuthErrorPayload | undefined;
  socket.on('auth:error', (payload: AuthErrorPayload) => (lastPush = payload));
  return driverConnection(socket, {
    handshakeAnswer: socket.raw.protocol,
    request: ({ event, payload }, timeoutMs) => socket.emitWithAck(event, payload, { timeoutMs }),
    ended: (closedByUs) =>
      socket.closed.then(({ code, reason }): ConnectionEnd => {
        // The close reason is what a browser can read: a cut without one (1000, 1006, no JSON) gives the client no
        // reason, whatever `auth:error` came before it.
        const data = closeReasonData({ code, reason });
        const error = authErrorFromPayload(data) === undefined ? undefined : { ...(data as AuthErrorPayload), message: lastPush?.message ?? '' };
        return { error, reason: `close ${code}`, at: Date.now(), byServer: !closedByUs() };
      }),
  });
}

/**
 * The plain-WebSocket wire for the conformance suite (DEMO-CONTRACT.md, "Plain WebSocket"): `ws` connections with
 * the token in the subprotocols or an `Authorization` header, `{ type, id?, data }` frames with acks, a refusal read
 * from the close code (4000–4999) and its `{ code, action }` reason, and a `@sockauth/client` from
 * `createWebSocketAuthClient`. Needs the `ws` package (an optional peer of the kit).
 *
 * "Before the handshake completes" on a WebSocket upgrade: the `101` only says the upgrade completed, not that the
 * token was accepted (a refused connection is closed right after it, with its code). So the pre-handshake probe sends
 * the message twice: in the same TCP write as the upgrade request (the server has it before it answered anything:
 * a server that attaches its message handler before verifying handles it), then on a second connection the moment
 * the `101` arrives (a server that verifies after accepting handles it). The server answered the handshake once it
 * acked a probe frame (accepted) or closed (refused, with the close reason's code).
 *
 * @example
 * ```ts
 * import { WebSocket } from 'ws';
 * describeConformance({ driver: webSocketDriver({ path: '/ws', WebSocket }), ...options });
 * ```
 */
export function webSocketDriver(options: WebSocketDriverOptions = {}): ConformanceDriver {
  assertKnownKeys('webSocketDriver options', options, WEB_SOCKET_DRIVER_OPTION_KEYS);
  const { path = '/', credentials = 'subprotocol' } = options;
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError('webSocketDriver: "path" must be a string starting with "/"');
  if (credentials !== 'subprotocol' && credentials !== 'header') {
    throw new TypeError('webSocketDriver: "credentials" must be "subprotocol" or "header"');
  }
  const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof WebSocket !== 'function') {
    throw new TypeError('webSocketDriver: "WebSocket" must be a WebSocket constructor (no global one here: pass the ws package\'s)');
  }

  return {
    name: 'websocket',
    async connect(url, token, { timeoutMs }) {
      return connection(await connectWsAs(endpoint(url, path) as `ws://${string}`, token, { tokenIn: credentials, timeoutMs }));
    },
    async sendBeforeHandshake(url, token, { event, payload }, { timeoutMs, quietMs }) {
      const ws = await import('ws');
      const target = endpoint(url, path);
      const handshake = wsHandshake(target, token, credentials);
      const early = encodeFrame(event, payload, EARLY_ID);
      const attempt = (when: 'with-upgrade' | 'on-open'): Promise<EarlyMessageOutcome> =>
        new Promise((resolve) => {
          const clientOptions: WsClientOptions = {
            headers: handshake.headers,
            ...(when === 'with-upgrade' && {
              createConnection: writingFrameWithRequest(
                (ws as unknown as { Sender: WsSender }).Sender.frame(Buffer.from(early), { fin: true, rsv1: false, opcode: 1, mask: true, readOnly: false }),
                target.startsWith('wss:'),
              ),
            }),
          };
          const raw = new ws.WebSocket(handshake.url, handshake.protocols, clientOptions as never) as unknown as RawWebSocket;
          const acks: unknown[] = [];
          let answer: EarlyMessageOutcome['handshake'] | undefined;
          let done = false;
          const finish = (): void => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            raw.terminate();
            resolve({ handshake: answer ?? { accepted: false, code: undefined }, acks });
          };
          const timer = setTimeout(finish, timeoutMs);
          // Acks already on their way behind the handshake's answer arrive within the quiet period.
          const answered = (outcome: EarlyMessageOutcome['handshake']): void => {
            if (answer !== undefined) return;
            answer = outcome;
            clearTimeout(timer);
            setTimeout(finish, quietMs);
          };
          raw.on('open', () => {
            if (when === 'on-open') raw.send(early);
            // Without a `type`: an accepting server acks it BAD_REQUEST, a refusing one never reads it.
            raw.send(JSON.stringify({ id: PROBE_ID }));
          });
          raw.on('message', (data, isBinary) => {
            if (isBinary) return;
            let frame: { type?: unknown; id?: unknown; data?: unknown } | null;
            try {
              frame = JSON.parse(data.toString()) as typeof frame;
            } catch {
              return;
            }
            if (frame?.type !== 'ack') return;
            if (frame.id === EARLY_ID) acks.push(frame.data);
            if (frame.id === PROBE_ID) answered({ accepted: true });
          });
          raw.on('close', (code, reason) => {
            const data = closeReasonData({ code, reason: reason.toString() }) as { code?: unknown } | undefined;
            answered({ accepted: false, code: typeof data?.code === 'string' ? data.code : undefined });
            setTimeout(finish, 0);
          });
          raw.on('error', () => setTimeout(finish, 0));
        });
      const withUpgrade = await attempt('with-upgrade');
      const onOpen = await attempt('on-open');
      return { handshake: onOpen.handshake, acks: [...withUpgrade.acks, ...onOpen.acks] };
    },
    createClient(url, clientOptions) {
      return createWebSocketAuthClient({ ...clientOptions, url: endpoint(url, path), WebSocket, credentials });
    },
  };
}
