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

/**
 * Pings every connection it watches each `intervalMs`, and terminates one that has not answered the previous ping
 * by then (a pong), so a half-open connection (a client gone without a close: a sleeping laptop, a NAT that
 * forgot the flow) is closed within two intervals instead of holding its session, its index entries and its rooms
 * until TCP gives up. One timer for all connections, running only while some are watched.
 */
export class Heartbeat {
  readonly #intervalMs: number;
  /** Watched sockets, each with whether a ping is still unanswered. */
  readonly #awaiting = new Map<WebSocket, boolean>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** Watches `ws` until it closes. */
  watch(ws: WebSocket): void {
    this.#awaiting.set(ws, false);
    ws.on('pong', () => {
      if (this.#awaiting.has(ws)) this.#awaiting.set(ws, false);
    });
    ws.once('close', () => {
      this.#awaiting.delete(ws);
      if (this.#awaiting.size === 0) this.stop();
    });
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
    for (const [ws, awaiting] of [...this.#awaiting]) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (awaiting) {
        // No pong since the last ping: half-open. terminate() closes the TCP socket at once; 'close' follows (1006),
        // which releases the session like any disconnection.
        this.#awaiting.delete(ws);
        ws.terminate();
        continue;
      }
      this.#awaiting.set(ws, true);
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
 * connection that has not answered a ping when the next one is due is terminated: closed within two intervals.
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
