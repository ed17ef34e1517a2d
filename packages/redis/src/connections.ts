import { createClient, type RedisClientOptions } from 'redis';
import { text, withTimeout, type Connection } from './commands.js';
import type { DuplicableRedisClient, ResolvedOptions } from './options.js';
import type { StoreStatus } from './status.js';

/** Wait before another attempt to connect and subscribe after a failed one. */
const RETRY_START_MS = 2_000;

/** What the connections tell the replication. */
export interface ConnectionEvents {
  /** A message on the channel. */
  message(raw: string): void;
  /** (Re)subscribed, or healthy again after a failed ping: messages may have been missed, catch up. */
  resync(): void;
  /** Further channels subscribed on the same connection (re-evaluation requests and answers). */
  readonly extraChannels: readonly string[];
  /** A message on one of {@link extraChannels}. */
  extraMessage(raw: string, channel: string): void;
}

function duplicate(client: DuplicableRedisClient, overrides: Partial<RedisClientOptions>): unknown {
  return (client.duplicate as (overrides: Partial<RedisClientOptions>) => unknown).call(client, overrides);
}

function socketOptionsOf(client: DuplicableRedisClient | undefined): object {
  const socket = client?.options?.socket;
  return typeof socket === 'object' && socket !== null ? socket : {};
}

/**
 * The store's two Redis connections: one for commands, one subscribed to the channel. node-redis reconnects
 * both by itself (and resubscribes); this class turns what they report into the store's status, tells the
 * replication when to catch up, pings the subscription to catch connections that hang without closing, and
 * counts (re)subscriptions so a catch-up that straddled one is never taken as current.
 */
export class RedisConnections {
  readonly commands: Connection;
  readonly subscriber: Connection;
  readonly #status: StoreStatus;
  readonly #events: ConnectionEvents;
  readonly #channel: string;
  readonly #timeoutMs: number;
  #subscribed = false;
  #generation = 0;
  /** The last health-check ping failed. */
  #unhealthy = false;
  #pinging = false;
  readonly #healthTimer: ReturnType<typeof setInterval> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ResolvedOptions, status: StoreStatus, events: ConnectionEvents) {
    this.#status = status;
    this.#events = events;
    this.#channel = options.channel;
    this.#timeoutMs = options.commandTimeoutMs;
    const { client, url } = options;
    // Both connections: RESP3 (the subscription connection can still answer PING), commands fail fast while
    // disconnected instead of queueing (a handshake must not wait for a reconnection), and the user's key
    // prefix and type mapping, if any, do not apply to our raw commands.
    const overrides: Partial<RedisClientOptions> = {
      RESP: 3,
      disableOfflineQueue: true,
      keyPrefix: undefined,
      commandOptions: undefined,
      socket: { ...socketOptionsOf(client), connectTimeout: options.connectTimeoutMs } as RedisClientOptions['socket'],
    };
    const base = (client !== undefined ? duplicate(client, overrides) : createClient({ url, ...overrides })) as Connection &
      DuplicableRedisClient;
    this.commands = base;
    this.subscriber = duplicate(base, overrides) as Connection;

    // node-redis emits 'error' for every failed (re)connection attempt; without a listener Node would throw.
    this.commands.on('error', () => undefined);
    this.subscriber.on('error', () => {
      if (!this.subscriber.isReady) this.#status.markDown();
    });
    this.subscriber.on('reconnecting', () => this.#status.markDown());
    this.subscriber.on('end', () => this.#status.markDown());
    this.subscriber.on('ready', () => {
      // The client resubscribed before 'ready'. The first 'ready' is handled by #subscribeAndSync.
      if (!this.#subscribed) return;
      this.#generation++;
      this.#unhealthy = false;
      this.#events.resync();
    });
    if (options.healthCheckIntervalMs > 0) {
      this.#healthTimer = setInterval(() => void this.#healthCheck(), options.healthCheckIntervalMs);
      this.#healthTimer.unref?.();
    }
  }

  /** Connects both, subscribes, then asks for a catch-up; retries in the background until Redis answers. */
  start(): void {
    void this.#subscribeAndSync();
  }

  /** Bumped on every (re)subscription. */
  get generation(): number {
    return this.#generation;
  }

  /** Subscribed (at least once: node-redis resubscribes after a reconnection) and both connections ready. */
  subscribedAndReady(): boolean {
    return this.#subscribed && this.subscriber.isReady && this.commands.isReady;
  }

  /** Subscribed, connected and answering pings: messages arrive, so the mirror can be current. */
  healthy(): boolean {
    return this.subscriber.isReady && !this.#unhealthy;
  }

  /** Stops timers and quits both connections (destroys one that does not quit in time). */
  async close(): Promise<void> {
    clearInterval(this.#healthTimer);
    clearTimeout(this.#retryTimer);
    await Promise.all([this.#quit(this.subscriber), this.#quit(this.commands)]);
  }

  /**
   * Opens whichever connection is not open, subscribes, then catches up. A failure (closed while connecting, or a
   * subscription that failed: a later 'ready' cannot resubscribe) schedules another attempt.
   */
  async #subscribeAndSync(): Promise<void> {
    try {
      await Promise.all([
        this.commands.isOpen ? undefined : this.commands.connect(),
        this.subscriber.isOpen ? undefined : this.subscriber.connect(),
      ]);
      await this.subscriber.subscribe(this.#channel, (message) => this.#events.message(text(message)));
      if (this.#events.extraChannels.length > 0) {
        await this.subscriber.subscribe([...this.#events.extraChannels], (message, channel) =>
          this.#events.extraMessage(text(message), text(channel)),
        );
      }
    } catch {
      if (!this.#status.isClosed()) this.#retryStart();
      return;
    }
    this.#subscribed = true;
    this.#generation++;
    this.#events.resync();
  }

  #retryStart(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#status.isClosed() || this.#subscribed) return;
      void this.#subscribeAndSync();
    }, RETRY_START_MS);
    this.#retryTimer.unref?.();
  }

  async #quit(connection: Connection): Promise<void> {
    try {
      if (connection.isOpen) await withTimeout(connection.close(), this.#timeoutMs);
    } catch {
      try {
        connection.destroy();
      } catch {
        // Already closed.
      }
    }
  }

  async #healthCheck(): Promise<void> {
    if (this.#pinging || !this.#subscribed || !this.subscriber.isReady || this.#status.isClosed()) return;
    this.#pinging = true;
    try {
      await withTimeout(this.subscriber.sendCommand(['PING'], { timeout: this.#timeoutMs }), this.#timeoutMs);
      if (this.#unhealthy) {
        // Messages may have been lost while the connection hung: catch up before answering from memory again.
        this.#unhealthy = false;
        this.#events.resync();
      }
    } catch {
      this.#unhealthy = true;
      this.#status.markDown();
    } finally {
      this.#pinging = false;
    }
  }
}
