import type { Socket } from 'socket.io-client';

type Handler = (...args: any[]) => void;

/** An emitted event waiting for the test to answer its ack. */
export interface PendingEmit {
  readonly event: string;
  readonly args: unknown[];
  /** Answers the ack (the server's response). */
  reply(response: unknown): void;
}

/**
 * A stand-in for a socket.io-client Socket, driven by the test as the server would: it records handshakes and
 * emits, and the test accepts, refuses, cuts or drops the connection. Timers are the global (fake) ones.
 */
export class FakeSocket {
  connected = false;
  active = false;
  id: string | undefined;
  auth: unknown = {};
  readonly io = { reconnection: jest.fn() };
  /** The `auth` data of every handshake, in order. */
  readonly handshakes: Array<{ token?: string }> = [];
  readonly pending: PendingEmit[] = [];
  connectCalls = 0;
  disconnectCalls = 0;
  #handlers = new Map<string, Set<Handler>>();
  #ids = 0;

  on(event: string, handler: Handler): this {
    let set = this.#handlers.get(event);
    if (set === undefined) this.#handlers.set(event, (set = new Set()));
    set.add(handler);
    return this;
  }

  off(event: string, handler: Handler): this {
    this.#handlers.get(event)?.delete(handler);
    return this;
  }

  listenerCount(event: string): number {
    return this.#handlers.get(event)?.size ?? 0;
  }

  /** Like socket.io-client: starts a handshake, which calls the `auth` callback. */
  connect(): this {
    if (this.connected) return this;
    this.connectCalls++;
    this.active = true;
    if (typeof this.auth === 'function') (this.auth as (cb: (data: object) => void) => void)((data) => this.handshakes.push(data));
    else this.handshakes.push(this.auth as { token?: string });
    return this;
  }

  disconnect(): this {
    this.disconnectCalls++;
    this.active = false;
    if (this.connected) this.#close('io client disconnect');
    return this;
  }

  timeout(ms: number): { emit: (event: string, ...args: unknown[]) => void } {
    return {
      emit: (event, ...args) => {
        const ack = args.pop() as (error: Error | null, response?: unknown) => void;
        let done = false;
        const finish = (error: Error | null, response?: unknown): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const index = this.pending.indexOf(entry);
          if (index !== -1) this.pending.splice(index, 1);
          ack(error, response);
        };
        const timer = setTimeout(() => finish(new Error('operation has timed out')), ms);
        const entry: PendingEmit & { fail(error: Error): void } = {
          event,
          args,
          reply: (response) => finish(null, response),
          fail: (error) => finish(error),
        };
        this.pending.push(entry);
      },
    };
  }

  // --- the test plays the server ----------------------------------------------------------------------------

  /** The server accepted the handshake. */
  accept(id = `socket-${++this.#ids}`): void {
    this.connected = true;
    this.id = id;
    this.#fire('connect');
  }

  /** The server refused the handshake with a sockauth error. */
  refuse(code: string, action: string, message = 'refused'): void {
    this.active = false;
    this.#fire('connect_error', Object.assign(new Error(message), { data: { code, action } }));
  }

  /** The server could not be reached. */
  unreachable(): void {
    this.#fire('connect_error', Object.assign(new Error('xhr poll error'), { type: 'TransportError' }));
  }

  /** A server → client event. */
  serverEmit(event: string, ...args: unknown[]): void {
    this.#fire(event, ...args);
  }

  /** `auth:error` then the server's disconnect. */
  cut(code: string, action: string): void {
    this.#fire('auth:error', { code, action, message: `cut: ${code}` });
    this.active = false;
    this.#close('io server disconnect');
  }

  /** The transport dropped (network, server crash). */
  drop(): void {
    this.#close('transport close');
  }

  /** Pending emits of `event`. */
  emitted(event: string): PendingEmit[] {
    return this.pending.filter((entry) => entry.event === event);
  }

  asSocket(): Socket {
    return this as unknown as Socket;
  }

  #close(reason: string): void {
    this.connected = false;
    this.id = undefined;
    this.#fire('disconnect', reason);
    for (const entry of [...this.pending] as Array<PendingEmit & { fail(error: Error): void }>) {
      entry.fail(new Error('socket has been disconnected'));
    }
  }

  #fire(event: string, ...args: unknown[]): void {
    for (const handler of [...(this.#handlers.get(event) ?? [])]) handler(...args);
  }
}

/** A JWT-shaped token (unsigned: the client never verifies, it only reads `exp`/`iat` for scheduling). */
export function fakeToken(claims: { exp?: number; iat?: number; sub?: string; n?: number }): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: 'alice', ...claims })}.signature`;
}

/** Lets promise chains (the async auth callback, refresh()) run without moving the fake clock. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
