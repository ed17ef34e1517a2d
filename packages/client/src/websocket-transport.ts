import { PROBE_FRAME, PROBE_ID, bearerSubprotocols, encodeFrame } from '@sockauth/core/protocol';
import { EmitError } from './emit-error.js';
import { ERROR_EVENT, EXPIRING_EVENT, ROOM_LEFT_EVENT } from './protocol.js';
import type { ClientTransport, TransportHandlers } from './transport.js';
import { invoke } from './typed-events.js';
import { parseFrame, readClose } from './websocket-protocol.js';

/**
 * The part of a WebSocket the client uses: the browser's `WebSocket` and the `ws` package's both fit.
 *
 * @example
 * ```ts
 * const socket: WebSocketLike = new WebSocket('wss://chat.example.com/ws', ['sockauth']);
 * ```
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: any) => void): void;
  removeEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: any) => void): void;
}

/**
 * A WebSocket constructor: the browser's global `WebSocket`, or `WebSocket` from the `ws` package in Node (whose
 * third argument takes `headers`, `agent`, `ca`…).
 *
 * @example
 * ```ts
 * import { WebSocket } from 'ws';
 * const Ctor: WebSocketConstructor = WebSocket;
 * ```
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: any) => WebSocketLike;

/**
 * Where the token goes at the handshake: the subprotocols `["sockauth", "sockauth.bearer.<token>"]` (what a
 * browser can do; the server selects `sockauth` and never echoes the token), or an `Authorization: Bearer` header
 * (Node's `ws` only: browsers cannot set headers on a WebSocket).
 */
export type WebSocketCredentials = 'subprotocol' | 'header';

/** What {@link WebSocketTransport} needs: validated by `createWebSocketAuthClient`. */
export interface WebSocketTransportOptions {
  readonly url: string;
  readonly WebSocket: WebSocketConstructor;
  readonly credentials: WebSocketCredentials;
  /** Passed as the constructor's third argument (the `ws` package's client options). */
  readonly wsOptions: Readonly<Record<string, unknown>> | undefined;
  /** How long an open connection may wait for the server's answer to the probe before it counts as failed. */
  readonly confirmTimeoutMs: number;
}

/** A request waiting to be sent (while connecting) or for its ack. */
interface Request {
  readonly id: number;
  readonly event: string;
  readonly frame: string;
  readonly resolve: (data: unknown) => void;
  readonly reject: (error: EmitError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * `handshake`: waiting for the token; `connecting`: the upgrade under way; `confirming`: upgraded, waiting for the
 * answer to the probe; `open`: accepted.
 */
type Phase = 'idle' | 'handshake' | 'connecting' | 'confirming' | 'open';

type Listener = (data: unknown) => void;

const CONNECTING = 0;
const NORMAL_CLOSURE = 1000;

const NOOP_HANDLERS: TransportHandlers = {
  handshake: () => undefined,
  connected: () => undefined,
  refused: () => undefined,
  cut: () => undefined,
  disconnected: () => undefined,
  expiring: () => undefined,
  roomLeft: () => undefined,
};

/**
 * The lifecycle over a plain WebSocket speaking sockauth's JSON frames. The token goes in the subprotocols (or a
 * header, with `ws`) of each new connection. A refused handshake is a completed upgrade that the server closes at
 * once with a code in 4000–4999 and the reason `{ code, action }`, so an open connection is not yet an accepted
 * one: the transport sends one probe frame ({@link PROBE_ID}) and reports the connection only once the server
 * answered it; a close before that is the refusal. A close without a sockauth reason is a plain disconnection. Requests carry a numeric id and wait for `{ type: 'ack', id }`; while connecting they are
 * buffered, and a connection that drops fails the ones in flight at once (`disconnected`). Reconnection is the
 * lifecycle's: this transport never reconnects by itself.
 */
export class WebSocketTransport implements ClientTransport {
  readonly #options: WebSocketTransportOptions;
  #handlers: TransportHandlers = NOOP_HANDLERS;
  #phase: Phase = 'idle';
  #socket: WebSocketLike | undefined;
  #removeListeners: () => void = () => undefined;
  /** Bumped by every connect() and disconnect(): a handshake whose token arrives late is abandoned. */
  #generation = 0;
  #connections = 0;
  /** The server sent `auth:error` on this connection: its close is the cut it announced. */
  #cutAnnounced = false;
  #confirmTimer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 0;
  readonly #inFlight = new Map<number, Request>();
  #queue: Request[] = [];
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(options: WebSocketTransportOptions) {
    this.#options = options;
  }

  get connected(): boolean {
    return this.#phase === 'open';
  }

  attach(handlers: TransportHandlers): void {
    this.#handlers = handlers;
  }

  detach(): void {
    this.#handlers = NOOP_HANDLERS;
  }

  /** Delivers every server push of `type` (app events and sockauth's own) to `listener`. */
  listen(type: string, listener: Listener): () => void {
    let listeners = this.#listeners.get(type);
    if (listeners === undefined) this.#listeners.set(type, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  connect(): void {
    if (this.#phase !== 'idle') return;
    this.#phase = 'handshake';
    const generation = ++this.#generation;
    this.#handlers.handshake((token) => {
      if (generation === this.#generation && this.#phase === 'handshake') this.#open(token);
    });
  }

  disconnect(): void {
    this.#generation++;
    const wasOpen = this.#phase === 'open';
    const socket = this.#socket;
    this.#phase = 'idle';
    this.#socket = undefined;
    clearTimeout(this.#confirmTimer);
    this.#removeListeners();
    this.#failAll('disconnected');
    if (socket !== undefined) closeQuietly(socket);
    if (wasOpen) this.#handlers.disconnected('client close', true);
  }

  request(event: string, args: readonly unknown[], timeoutMs: number): Promise<unknown> {
    if (args.length > 1) {
      return Promise.reject(new TypeError(`sockauth client: "${event}": a WebSocket frame carries one payload (got ${args.length} arguments)`));
    }
    return new Promise((resolve, reject) => {
      const id = ++this.#nextId;
      const timer = setTimeout(() => {
        this.#forget(request);
        reject(new EmitError(this.connected ? 'timeout' : 'disconnected', event));
      }, timeoutMs);
      const request: Request = { id, event, frame: encodeFrame(event, args[0], id), resolve, reject, timer };
      if (this.connected) this.#send(request);
      else this.#queue.push(request);
    });
  }

  #open(token: string | undefined): void {
    const { url, WebSocket, credentials, wsOptions } = this.#options;
    const protocols = bearerSubprotocols(credentials === 'subprotocol' ? token : undefined);
    const headers = { ...(wsOptions?.['headers'] as Record<string, string> | undefined), ...(credentials === 'header' && token !== undefined && { Authorization: `Bearer ${token}` }) };
    let socket: WebSocketLike;
    try {
      socket = credentials === 'header' || wsOptions !== undefined ? new WebSocket(url, protocols, { ...wsOptions, headers }) : new WebSocket(url, protocols);
    } catch {
      // E.g. a token that is not a valid subprotocol token: a transport failure, retried within the budget.
      this.#phase = 'idle';
      this.#handlers.refused(undefined);
      return;
    }
    this.#phase = 'connecting';
    this.#socket = socket;
    const onOpen = (): void => this.#onOpen();
    const onMessage = (event: { data: unknown }): void => this.#onMessage(event.data);
    const onClose = (event: { code: number; reason: string }): void => this.#onClose(event.code, event.reason);
    // Errors are followed by a close, which reports them.
    const onError = (): void => undefined;
    socket.addEventListener('open', onOpen);
    socket.addEventListener('message', onMessage);
    socket.addEventListener('close', onClose);
    socket.addEventListener('error', onError);
    this.#removeListeners = () => {
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('message', onMessage);
      socket.removeEventListener('close', onClose);
      socket.removeEventListener('error', onError);
      this.#removeListeners = () => undefined;
    };
  }

  /**
   * Upgraded, but maybe about to be refused (a refusal is an upgrade the server closes at once): the probe's answer
   * tells an accepted connection, the close a refused one. No answer in time: a server that does not speak sockauth,
   * or a dead connection; it is dropped as a failed handshake.
   */
  #onOpen(): void {
    this.#phase = 'confirming';
    this.#cutAnnounced = false;
    try {
      this.#socket!.send(PROBE_FRAME);
    } catch {
      // The close that follows reports it.
      return;
    }
    this.#confirmTimer = setTimeout(() => {
      const socket = this.#socket;
      this.#phase = 'idle';
      this.#socket = undefined;
      this.#removeListeners();
      if (socket !== undefined) closeQuietly(socket);
      this.#handlers.refused(undefined);
    }, this.#options.confirmTimeoutMs);
  }

  #onAccepted(): void {
    clearTimeout(this.#confirmTimer);
    this.#phase = 'open';
    this.#handlers.connected(`ws-${++this.#connections}`);
    // The lifecycle may have closed the connection from its `connected` handler.
    if (this.#phase !== 'open') return;
    const queue = this.#queue;
    this.#queue = [];
    for (const request of queue) this.#send(request);
  }

  #onMessage(raw: unknown): void {
    const frame = parseFrame(raw);
    if (frame === undefined) return;
    if (frame.kind === 'ack') {
      if (frame.id === PROBE_ID) {
        if (this.#phase === 'confirming') this.#onAccepted();
        return;
      }
      const request = typeof frame.id === 'number' ? this.#inFlight.get(frame.id) : undefined;
      if (request === undefined) return;
      this.#forget(request);
      request.resolve(frame.data);
      return;
    }
    const { type, data } = frame;
    if (type === EXPIRING_EVENT) this.#handlers.expiring(data);
    else if (type === ROOM_LEFT_EVENT) this.#handlers.roomLeft(data);
    else if (type === ERROR_EVENT) {
      this.#cutAnnounced = true;
      this.#handlers.cut(data);
    }
    for (const listener of [...(this.#listeners.get(type) ?? [])]) invoke(() => listener(data));
  }

  #onClose(code: number, reason: string): void {
    const wasOpen = this.#phase === 'open';
    this.#phase = 'idle';
    this.#socket = undefined;
    clearTimeout(this.#confirmTimer);
    this.#removeListeners();
    this.#failInFlight();
    const { error, deliberate } = readClose(code, reason);
    // Closed before it was accepted: a refused handshake (the close says why), or a failed one (network, an HTTP
    // refusal, a server that does not speak sockauth).
    if (!wasOpen) return this.#handlers.refused(error);
    // A cut the server did not announce with auth:error: the close says why.
    if (error !== undefined && !this.#cutAnnounced) this.#handlers.cut(error.toJSON());
    this.#handlers.disconnected(`close ${code}`, deliberate && !this.#cutAnnounced);
  }

  #send(request: Request): void {
    try {
      this.#socket!.send(request.frame);
    } catch {
      this.#forget(request);
      request.reject(new EmitError('disconnected', request.event));
      return;
    }
    this.#inFlight.set(request.id, request);
  }

  #forget(request: Request): void {
    clearTimeout(request.timer);
    this.#inFlight.delete(request.id);
    const index = this.#queue.indexOf(request);
    if (index !== -1) this.#queue.splice(index, 1);
  }

  /** The connection dropped: what was sent may or may not have been handled (an idempotent resend decides). */
  #failInFlight(): void {
    for (const request of [...this.#inFlight.values()]) {
      this.#forget(request);
      request.reject(new EmitError('disconnected', request.event));
    }
  }

  #failAll(reason: 'disconnected'): void {
    this.#failInFlight();
    for (const request of [...this.#queue]) {
      this.#forget(request);
      request.reject(new EmitError(reason, request.event));
    }
  }
}

/**
 * Closes `socket` without a console error in browsers, which log one for a close while still connecting. An error
 * listener stays: `ws` throws an error event nobody listens to (a reset during the closing handshake).
 */
function closeQuietly(socket: WebSocketLike): void {
  socket.addEventListener('error', () => undefined);
  if (socket.readyState !== CONNECTING) {
    socket.close(NORMAL_CLOSURE);
    return;
  }
  const onOpen = (): void => {
    socket.removeEventListener('open', onOpen);
    socket.close(NORMAL_CLOSURE);
  };
  socket.addEventListener('open', onOpen);
}
