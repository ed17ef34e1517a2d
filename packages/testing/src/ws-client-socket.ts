import { encodeFrame } from '@sockauth/core/protocol';

/** The part of a `ws` WebSocket the kit uses (so its types do not need `@types/ws`). */
export interface RawWebSocket {
  readonly readyState: number;
  /** The subprotocol the server selected (`''` for none). */
  readonly protocol: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'open', listener: () => void): unknown;
  on(event: 'message', listener: (data: { toString(): string }, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: { toString(): string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** How a connection ended: the close code and reason the client saw. */
export interface WsClose {
  readonly code: number;
  readonly reason: string;
}

type Listener = (...args: any[]) => void;

const OPEN = 1;

/**
 * A client connection to a sockauth plain-WebSocket server (`@sockauth/ws`), shaped like a socket.io-client socket
 * so the kit's helpers and matchers work on both: `emitWithAck(type, data)` sends `{ type, id, data }` and resolves
 * with the ack's `data`; `emit(type, data)` sends without an id; `on(type, listener)` receives the server's pushes
 * `{ type, data }` (and `'disconnect'`, with the reason `close <code>`). `closed` resolves with the close code and
 * reason; `raw` is the underlying `ws` WebSocket, for frames the protocol does not make (binary, malformed JSON).
 * Made by `connectAs(wsUrl, …)`.
 *
 * @example
 * ```ts
 * const socket = await connectAs(`ws://127.0.0.1:${port}/ws`, { sub: 'alice', permissions: ['chat:read'] }, { issuer });
 * await socket.emitWithAck('chat:join', { room: 'lobby' });
 * socket.on('chat:message', (message) => seen.push(message));
 * ```
 */
export class WsClientSocket {
  readonly raw: RawWebSocket;
  /** Resolves once the connection is closed, with the close code and reason (e.g. 4200 and `{"code":"AUTH_EXPIRED",…}`). */
  readonly closed: Promise<WsClose>;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #acks = new Map<string | number, { resolve(data: unknown): void; reject(error: Error): void }>();
  #nextId = 0;
  #close: WsClose | undefined;

  /** Wraps an open (or opening) `ws` WebSocket. */
  constructor(raw: RawWebSocket) {
    this.raw = raw;
    let closed!: (close: WsClose) => void;
    this.closed = new Promise((resolve) => (closed = resolve));
    raw.on('message', (data, isBinary) => {
      if (!isBinary) this.#onText(data.toString());
    });
    raw.on('close', (code, reason) => {
      this.#close = { code, reason: reason.toString() };
      for (const { reject } of this.#acks.values()) reject(new Error(`disconnected (close ${code}) before the ack`));
      this.#acks.clear();
      this.#fire('disconnect', `close ${code}`);
      closed(this.#close);
    });
    // An error is followed by a close; without a listener, ws would throw it.
    raw.on('error', () => undefined);
  }

  /** Whether the connection is open. */
  get connected(): boolean {
    return this.raw.readyState === OPEN;
  }

  /** How the connection ended, once it did. */
  get closeEvent(): WsClose | undefined {
    return this.#close;
  }

  on(event: string, listener: Listener): this {
    let listeners = this.#listeners.get(event);
    if (listeners === undefined) this.#listeners.set(event, (listeners = new Set()));
    listeners.add(listener);
    return this;
  }

  once(event: string, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  off(event: string, listener: Listener): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  /** Sends `{ type, data }` (no id: the server answers nothing). */
  emit(type: string, data?: unknown): this {
    this.raw.send(encodeFrame(type, data));
    return this;
  }

  /**
   * Sends `{ type, id, data }` and resolves with the ack's `data` (a denied event: `{ error: { code, … } }`, which
   * `toBeForbidden()` reads). Rejects if the connection closes first or after `timeoutMs` (default 5 000).
   */
  emitWithAck<T = any>(type: string, data?: unknown, { timeoutMs = 5_000 }: { timeoutMs?: number } = {}): Promise<T> {
    const id = ++this.#nextId;
    return this.request(encodeFrame(type, data, id), id, timeoutMs) as Promise<T>;
  }

  /** Sends a raw text `frame` and resolves with the `data` of the ack whose id is `id`. */
  request(frame: string, id: string | number, timeoutMs = 5_000): Promise<unknown> {
    if (!this.connected) return Promise.reject(new Error(`not connected${this.#close ? ` (close ${this.#close.code})` : ''}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#acks.delete(id);
        reject(new Error(`no ack for ${JSON.stringify(id)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#acks.set(id, {
        resolve: (data) => (clearTimeout(timer), resolve(data)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.raw.send(frame);
    });
  }

  /** Closes the connection (1000). Idempotent. */
  close(): this {
    if (this.raw.readyState < 2) this.raw.close(1000);
    return this;
  }

  /** Same as {@link close}, as on socket.io-client. */
  disconnect(): this {
    return this.close();
  }

  #onText(text: string): void {
    let frame: { type?: unknown; id?: unknown; data?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return;
    }
    if (frame === null || typeof frame !== 'object' || typeof frame.type !== 'string') return;
    if (frame.type === 'ack' && (typeof frame.id === 'string' || typeof frame.id === 'number')) {
      const waiter = this.#acks.get(frame.id);
      this.#acks.delete(frame.id);
      waiter?.resolve(frame.data);
      return;
    }
    this.#fire(frame.type, frame.data);
  }

  #fire(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) listener(...args);
  }
}
