import {
  MemoryRevocationStore,
  type RevocationKind,
  type RevocationListener,
  type RevocationRecord,
} from '@sockauth/core';
import type { RedisCommands, WriteReply } from './commands.js';
import { parseMessage, type ChannelMessage } from './scripts.js';
import type { StoreStatus } from './status.js';

/** Records read per sync script call. */
const SYNC_PAGE = 500;
/** Messages kept while a sync runs; past this, they are dropped and another sync reads them from the log. */
const MAX_BUFFERED = 10_000;
/** Sequence numbers of this node's own writes not yet seen on the channel, at most. */
const MAX_OWN = 10_000;
/** Re-reads of the log in one sync when messages keep arriving out of sequence. */
const MAX_SYNC_ROUNDS = 5;
const RETRY_SYNC_MIN_MS = 100;
const RETRY_SYNC_MAX_MS = 2_000;

/** What the replication needs to know of the subscription. */
export interface SubscriptionState {
  /** Bumped on every (re)subscription. */
  readonly generation: number;
  /** Subscribed, connected and answering pings. */
  healthy(): boolean;
}

export interface ReplicationOptions {
  readonly commands: RedisCommands;
  readonly subscription: SubscriptionState;
  readonly status: StoreStatus;
  readonly retentionSec: number;
  readonly now: () => number;
}

/**
 * Keeps this node's mirror of the live revocations equal to Redis's, in order: every write has the next
 * sequence number of an epoch; messages are applied only in sequence, and a gap, a new epoch or a resubscription
 * makes the node read the log after the last number it applied (the sync). Every record applied is handed to the
 * listeners once it is new to this node; this node's own writes are handed over as soon as Redis confirms them,
 * and skipped when they come back.
 */
export class Replication {
  /** The live revocations, as far as this node knows. */
  readonly mirror: MemoryRevocationStore;
  readonly #commands: RedisCommands;
  readonly #subscription: SubscriptionState;
  readonly #status: StoreStatus;
  readonly #now: () => number;
  readonly #listeners = new Set<RevocationListener>();
  /** Epoch and last sequence number applied to the mirror. */
  #epoch: string | undefined;
  #lastSeq = 0;
  #syncing = false;
  #syncAgain = false;
  #syncRetryMs = RETRY_SYNC_MIN_MS;
  #syncRetryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Messages received while not in sync, in order. */
  #buffer: ChannelMessage[] = [];
  /** Own writes already handed to listeners, not yet seen on the channel: `epoch|seq` → seq. */
  readonly #ownSeqs = new Map<string, number>();

  constructor(options: ReplicationOptions) {
    this.#commands = options.commands;
    this.#subscription = options.subscription;
    this.#status = options.status;
    this.#now = options.now;
    this.mirror = new MemoryRevocationStore({ retentionSec: options.retentionSec, now: options.now });
  }

  subscribe(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Stops retrying, forgets listeners and buffered messages, closes the mirror. */
  async close(): Promise<void> {
    clearTimeout(this.#syncRetryTimer);
    this.#listeners.clear();
    this.#buffer = [];
    await this.mirror.close();
  }

  /**
   * This node's write, confirmed by Redis. Unless already seen on the channel, it is handed to the listeners now
   * (this node's sockets are cut before `revoke()` resolves) and skipped when it comes back over pub/sub or
   * through a sync.
   */
  applyOwnWrite(kind: RevocationKind, id: string, reply: WriteReply): RevocationRecord {
    const record: RevocationRecord = Object.freeze({ kind, id, since: reply.since, until: reply.until });
    const newEpoch = this.#epoch !== undefined && reply.epoch !== this.#epoch;
    if (newEpoch || reply.seq > this.#lastSeq) {
      if (this.#ownSeqs.size >= MAX_OWN) this.#ownSeqs.clear();
      this.#ownSeqs.set(`${reply.epoch}|${reply.seq}`, reply.seq);
      this.#apply(record, true);
    }
    // Redis lost its data since our last sync (restart without persistence): resync from scratch.
    if (newEpoch) void this.sync();
    return record;
  }

  /**
   * Brings the mirror up to date: reads every record written after the last sequence number applied (all of
   * them after a change of epoch), hands each to the listeners, then applies the messages that arrived meanwhile.
   * Only one runs at a time; a request during a run makes it run again.
   */
  async sync(): Promise<void> {
    if (this.#status.isClosed()) return;
    if (this.#syncing) {
      this.#syncAgain = true;
      return;
    }
    this.#syncing = true;
    clearTimeout(this.#syncRetryTimer);
    this.#status.set('syncing');
    let failed = false;
    try {
      let rounds = 0;
      let generation: number;
      do {
        this.#syncAgain = false;
        // A resubscription during the pull (a new generation) means messages may have been lost: pull again.
        generation = this.#subscription.generation;
        await this.#pull();
        this.#drainBuffer();
      } while (
        (this.#syncAgain || generation !== this.#subscription.generation) &&
        !this.#status.isClosed() &&
        ++rounds < MAX_SYNC_ROUNDS
      );
      if (this.#syncAgain) {
        // Still out of sequence after re-reading the log: what is left is not in the log (a stray message on the
        // channel); the log is the authority, so drop it.
        this.#syncAgain = false;
        this.#buffer = [];
      }
      this.#syncRetryMs = RETRY_SYNC_MIN_MS;
      if (generation === this.#subscription.generation && this.#subscription.healthy()) {
        this.#status.set('synced');
        return;
      }
    } catch {
      failed = true;
    } finally {
      this.#syncing = false;
    }
    this.#status.markDown();
    // Not in sync. A lost subscription syncs again on its next 'ready', an unhealthy one after its next good
    // ping; otherwise (Redis did not answer the pull, or the subscription flapped) try again, backing off.
    if (this.#subscription.healthy() && !this.#status.isClosed()) {
      clearTimeout(this.#syncRetryTimer);
      this.#syncRetryTimer = setTimeout(() => void this.sync(), failed ? this.#syncRetryMs : RETRY_SYNC_MIN_MS);
      this.#syncRetryTimer.unref?.();
      if (failed) this.#syncRetryMs = Math.min(this.#syncRetryMs * 2, RETRY_SYNC_MAX_MS);
    }
  }

  /** A message on the channel: applied when in sync and in sequence, else held for (or triggering) a sync. */
  onMessage(raw: string): void {
    if (this.#status.isClosed()) return;
    const message = parseMessage(raw);
    if (message === undefined) return;
    if (this.#syncing || this.#status.current !== 'synced') {
      this.#bufferMessage(message);
      return;
    }
    if (!this.#accept(message)) {
      this.#bufferMessage(message);
      void this.sync();
    }
  }

  /** Reads the log after #lastSeq, page by page, applying and emitting each record. */
  async #pull(): Promise<void> {
    let after = this.#lastSeq;
    for (;;) {
      const page = await this.#commands.syncPage(after, SYNC_PAGE);
      const { epoch, counter } = page;
      if (this.#epoch !== epoch || counter < this.#lastSeq) {
        // Redis lost its data (new epoch) or went back in time (restored from an older snapshot): everything
        // it holds now may be unknown here. Start over from the beginning of the log.
        const restart = this.#epoch !== undefined || after !== 0;
        this.#epoch = epoch;
        this.#lastSeq = 0;
        if (restart) {
          after = 0;
          continue;
        }
      }
      const now = this.#now();
      for (const { kind, id, stored } of page.records) {
        if (stored.until <= now) continue;
        const own = this.#ownSeqs.delete(`${epoch}|${stored.seq}`);
        this.#apply(Object.freeze({ kind, id, since: stored.since, until: stored.until }), !own);
      }
      if (page.count < SYNC_PAGE) {
        // The page held everything after `after` at the time of the read; the counter covers all of it.
        this.#lastSeq = Math.max(this.#lastSeq, counter);
        break;
      }
      after = page.lastScore;
    }
    const current = `${this.#epoch}|`;
    for (const [key, seq] of this.#ownSeqs) if (!key.startsWith(current) || seq <= this.#lastSeq) this.#ownSeqs.delete(key);
  }

  #bufferMessage(message: ChannelMessage): void {
    if (this.#buffer.length >= MAX_BUFFERED) {
      // Every message is also in the log: drop the buffer and read them from there.
      this.#buffer = [];
      this.#syncAgain = true;
      return;
    }
    this.#buffer.push(message);
  }

  /** Applies the next message in sequence. False when it cannot be applied in order (gap or new epoch). */
  #accept(message: ChannelMessage): boolean {
    if (message.epoch !== this.#epoch) return false;
    if (message.seq <= this.#lastSeq) return true; // already applied (read by a sync)
    if (message.seq !== this.#lastSeq + 1) return false; // a message was lost: read the log
    this.#lastSeq = message.seq;
    const own = this.#ownSeqs.delete(`${message.epoch}|${message.seq}`);
    if (message.until > this.#now()) {
      this.#apply(Object.freeze({ kind: message.kind, id: message.id, since: message.since, until: message.until }), !own);
    }
    return true;
  }

  #drainBuffer(): void {
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const message of buffered) {
      // The pull just read the current epoch: another one is from before a Redis restart (or a foreign writer).
      if (message.epoch !== this.#epoch) continue;
      if (!this.#accept(message)) {
        // The log has it (and what came before it): read it again.
        this.#syncAgain = true;
        return;
      }
    }
  }

  #apply(record: RevocationRecord, emit: boolean): void {
    this.mirror.remember(record);
    if (!emit) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(record);
      } catch {
        // A failing listener must not stop others from cutting their sockets.
      }
    }
  }
}
