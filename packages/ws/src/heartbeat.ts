import { assertKnownKeys, assertPlainObject, type KnownKeys } from '@sockauth/core';
import { WebSocket } from 'ws';

/**
 * Default interval between two pings of a connection: 30 s, as ws's own README suggests (Socket.IO pings every
 * 25 s): a half-open connection is gone within a minute, for one small frame each way per connection and interval.
 *
 * @example
 * ```ts
 * createWsAuth({ verifier, heartbeat: { intervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS / 2 } });
 * ```
 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
/** The bounds of `heartbeat.intervalMs`: a ping storm below, a half-open connection kept for hours above. */
export const HEARTBEAT_INTERVAL_BOUNDS = Object.freeze({ min: 100, max: 10 * 60_000 });

/** What the heartbeat reads and marks on a connection: its socket, and what had arrived on it when it was pinged. */
export interface Heartbeating {
  readonly ws: WebSocket | undefined;
  /** The TCP socket under `ws`. */
  readonly socket: { readonly bytesRead: number };
  /** The low 30 bits of the socket's byte count when it was last pinged; -1 before the first ping. */
  bytesAtPing: number;
}

/**
 * The low 30 bits of the bytes read so far: always a small integer (a larger count would make the field a heap number
 * in every connection). Two marks are equal only if nothing arrived in between, or exactly a multiple of 1 GiB.
 * -1 for a socket that counts nothing (not a `net.Socket`: `ws` itself needs one), which is then never terminated.
 */
function bytesMark(socket: { readonly bytesRead: number }): number {
  const read: unknown = socket.bytesRead;
  return typeof read === 'number' ? read & 0x3fffffff : -1;
}

/**
 * Pings every connection of `connections` each `intervalMs`, and terminates one on which nothing has arrived since
 * the previous ping (no pong, nor anything else), so a half-open connection (a client gone without a close: a
 * sleeping laptop, a NAT that forgot the flow) is closed within two intervals instead of holding its session, its
 * index entries and its rooms until TCP gives up. One timer for all connections, started when one is added and
 * stopped by the first beat that finds none open (not at every close: a server whose connections come and go one at
 * a time would start and stop a timer for each). It keeps nothing per connection and installs no listener: the set is the adapter's own set of open connections,
 * and what arrived is the TCP socket's byte count (a 'pong' listener would cost every socket's event table a
 * fourth entry: 96 bytes).
 */
export class Heartbeat<C extends Heartbeating> {
  readonly #intervalMs: number;
  readonly #connections: ReadonlySet<C>;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(intervalMs: number, connections: ReadonlySet<C>) {
    this.#intervalMs = intervalMs;
    this.#connections = connections;
  }

  /** A connection was added to the set: pinging runs. */
  watch(): void {
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#beat(), this.#intervalMs);
      // The heartbeat never keeps a process alive by itself.
      this.#timer.unref?.();
    }
  }

  /** Stops pinging (the connections stay). Idempotent. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #beat(): void {
    // None left since the last beat: pinging stops until one is added (`watch`).
    if (this.#connections.size === 0) return this.stop();
    for (const connection of [...this.#connections]) {
      const ws = connection.ws;
      // Closing or closed (a terminated one among them, until its 'close' takes it out of the set): not pinged.
      if (ws === undefined || ws.readyState !== WebSocket.OPEN) continue;
      const mark = bytesMark(connection.socket);
      if (mark === connection.bytesAtPing && mark !== -1) {
        // Nothing since the last ping, not even its pong: half-open. terminate() closes the TCP socket at once;
        // 'close' follows (1006), which releases the session like any disconnection.
        ws.terminate();
        continue;
      }
      connection.bytesAtPing = mark;
      try {
        ws.ping();
      } catch {
        // A socket closing under us: its 'close' forgets it.
      }
    }
  }
}

/**
 * The heartbeat of {@link createWsAuth}: `intervalMs` between two pings (default 30 000, from 100 to 600 000). A
 * connection on which nothing has arrived since a ping (not even its pong) when the next one is due is terminated:
 * closed within two intervals.
 *
 * @example
 * ```ts
 * createWsAuth({ verifier, heartbeat: { intervalMs: 15_000 } });
 * ```
 */
export interface WsHeartbeatOptions {
  readonly intervalMs?: number;
}

const HEARTBEAT_OPTION_KEYS = { intervalMs: true } as const satisfies KnownKeys<WsHeartbeatOptions>;

/**
 * Validates a `heartbeat` option (`true` or absent: the default interval; `false`: off; `{ intervalMs }`) and
 * returns the interval in ms, or `undefined` when it is off. Throws a `TypeError` naming `where` otherwise: a
 * framework that takes the option on its own options object (`SockAuthModule`'s) names it there.
 *
 * @example
 * ```ts
 * resolveHeartbeat({ intervalMs: 15_000 }, 'SockAuthModule options.heartbeat'); // 15000
 * resolveHeartbeat(false); // undefined
 * ```
 */
export function resolveHeartbeat(value: WsHeartbeatOptions | boolean | undefined, where = 'createWsAuth options.heartbeat'): number | undefined {
  if (value === undefined || value === true) return DEFAULT_HEARTBEAT_INTERVAL_MS;
  if (value === false) return undefined;
  assertPlainObject(where, value);
  assertKnownKeys(where, value, HEARTBEAT_OPTION_KEYS);
  const { min, max } = HEARTBEAT_INTERVAL_BOUNDS;
  const intervalMs: unknown = value.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  if (typeof intervalMs !== 'number' || !Number.isSafeInteger(intervalMs) || intervalMs < min || intervalMs > max) {
    throw new TypeError(`sockauth: ${where}.intervalMs must be an integer from ${min} to ${max} (milliseconds)`);
  }
  return intervalMs;
}
