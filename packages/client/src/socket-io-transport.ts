import { io, type Socket } from 'socket.io-client';
import { EmitError } from './emit-error.js';
import type { AuthClientOptions } from './socket-io-options.js';
import { ERROR_EVENT, EXPIRING_EVENT, ROOM_LEFT_EVENT, connectError } from './protocol.js';
import type { ClientTransport, TransportHandlers } from './transport.js';
import type { DefaultEventsMap } from './typed-events.js';

/** The socket as the client drives it (untyped events). */
type RawSocket = Socket<DefaultEventsMap, DefaultEventsMap>;

/** Disconnect reasons after which Socket.IO does not reconnect: the app's own, or the server's without auth reason. */
const DELIBERATE = new Set(['io client disconnect', 'io server disconnect']);

/**
 * The lifecycle over socket.io-client: the token goes in the handshake's `auth` callback, a refusal is a
 * `connect_error` with `err.data = { code, action }`, acks are Socket.IO acks with a timeout. The client owns
 * reconnection, so the Manager's is turned off.
 */
export class SocketIoTransport implements ClientTransport {
  readonly socket: RawSocket;
  #detach: () => void = () => undefined;

  constructor(options: AuthClientOptions) {
    const socket = options.socket ?? createSocket(options);
    if (options.socket !== undefined) {
      if (typeof socket.connect !== 'function' || typeof socket.io?.reconnection !== 'function') {
        throw new TypeError('sockauth client: "socket" must be a socket.io-client Socket');
      }
      if (socket.active) throw new TypeError('sockauth client: pass a socket created with { autoConnect: false }');
      socket.io.reconnection(false);
    }
    this.socket = socket as unknown as RawSocket;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  attach(handlers: TransportHandlers): void {
    const socket = this.socket;
    // socket.io-client's `auth` callback runs at every (re)connection, so each one presents the newest token.
    socket.auth = (send: (data: object) => void) => handlers.handshake((token) => send(token === undefined ? {} : { token }));
    const listeners: Array<[string, (...args: any[]) => void]> = [
      ['connect', () => handlers.connected(socket.id)],
      ['connect_error', (error: unknown) => handlers.refused(connectError(error))],
      ['disconnect', (reason: string) => handlers.disconnected(reason, DELIBERATE.has(reason))],
      [EXPIRING_EVENT, (payload: unknown) => handlers.expiring(payload)],
      [ERROR_EVENT, (payload: unknown) => handlers.cut(payload)],
      [ROOM_LEFT_EVENT, (payload: unknown) => handlers.roomLeft(payload)],
    ];
    for (const [event, listener] of listeners) socket.on(event, listener);
    this.#detach = () => {
      for (const [event, listener] of listeners) socket.off(event, listener);
    };
  }

  detach(): void {
    this.#detach();
  }

  connect(): void {
    this.socket.connect();
  }

  disconnect(): void {
    this.socket.disconnect();
  }

  request(event: string, args: readonly unknown[], timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.socket.timeout(timeoutMs).emit(event, ...args, (error: Error | null, response: unknown) => {
        if (error) reject(new EmitError(this.socket.connected ? 'timeout' : 'disconnected', event));
        else resolve(response);
      });
    });
  }
}

function createSocket(options: AuthClientOptions): Socket {
  const url = options.url;
  if (url !== undefined && typeof url !== 'string') throw new TypeError('sockauth client: "url" must be a string');
  if (url === undefined && typeof (globalThis as { location?: unknown }).location === 'undefined') {
    throw new TypeError('sockauth client: "url" is required outside a browser page');
  }
  const ioOptions = {
    forceNew: true,
    ...options.io,
    autoConnect: false,
    reconnection: false,
  };
  return url === undefined ? io(ioOptions) : io(url, ioOptions);
}
