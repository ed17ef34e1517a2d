import { randomBytes } from 'node:crypto';
import type { RevocationKind } from '@sockauth/core';
import { recordKey, type KeyNames } from './keys.js';
import { SYNC, WRITE, parseMember, parseStoredValue, type Script, type StoredValue } from './scripts.js';

/** The subset of a node-redis client the store uses. */
export interface Connection {
  readonly isReady: boolean;
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
  sendCommand(args: readonly string[], options?: { timeout?: number; typeMapping?: object }): Promise<unknown>;
  subscribe(channel: string | string[], listener: (message: string, channel: string) => void): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** What the write script answers: the record as merged in Redis, under the epoch and sequence number it got. */
export interface WriteReply {
  readonly epoch: string;
  readonly seq: number;
  readonly since: number;
  readonly until: number;
}

/** One page of the log, with the records it points to that still exist. */
export interface SyncPage {
  readonly epoch: string;
  /** The write counter when the page was read. */
  readonly counter: number;
  /** Log entries in the page (records that vanished since included). */
  readonly count: number;
  /** Score (sequence number) of the page's last entry; the next page starts after it. */
  readonly lastScore: number;
  readonly records: readonly { readonly kind: RevocationKind; readonly id: string; readonly stored: StoredValue }[];
}

export function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** Rejects after `ms` even if the client's own timeout does not fire (e.g. a command stuck before being written). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`timed out after ${ms} ms`), { name: 'TimeoutError' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A fresh random epoch, written by a script only if Redis has none. Fresh on every call: a store that reused
 * one would recreate the very epoch it knew after Redis lost its data, and others would not notice the loss.
 */
function newEpochCandidate(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The store's commands on its command connection: the two scripts and `MGET` of records. Every call names all
 * the keys it touches (one hash slot), fails fast while disconnected and times out after `timeoutMs`.
 */
export class RedisCommands {
  readonly #connection: Connection;
  readonly #keys: KeyNames;
  readonly #timeoutMs: number;
  readonly #channel: string;

  constructor(connection: Connection, keys: KeyNames, channel: string, timeoutMs: number) {
    this.#connection = connection;
    this.#keys = keys;
    this.#channel = channel;
    this.#timeoutMs = timeoutMs;
  }

  /** Writes (or widens) one record, logs it under the next sequence number and publishes it, atomically. */
  async write(kind: RevocationKind, id: string, member: string, since: number, until: number, now: number): Promise<WriteReply> {
    const keys = this.#keys;
    const reply = (await this.#eval(WRITE, [recordKey(keys, member), keys.log, keys.exp, keys.seq, keys.epoch], [
      member,
      kind,
      id,
      String(since),
      String(until),
      String(now),
      this.#channel,
      newEpochCandidate(),
    ])) as unknown[];
    return {
      epoch: text(reply[0]),
      seq: Number(text(reply[1])),
      since: Number(text(reply[2])),
      until: Number(text(reply[3])),
    };
  }

  /** Reads up to `size` log entries after sequence number `after`, then the records they point to. */
  async syncPage(after: number, size: number): Promise<SyncPage> {
    const keys = this.#keys;
    const reply = (await this.#eval(SYNC, [keys.log, keys.seq, keys.epoch], [
      String(after),
      String(size),
      newEpochCandidate(),
    ])) as unknown[];
    const members = reply.slice(4).map(text);
    const values = await this.readRecords(members);
    const records: SyncPage['records'][number][] = [];
    members.forEach((raw, i) => {
      const member = parseMember(raw);
      const stored = values[i];
      if (member !== undefined && stored !== undefined) records.push({ ...member, stored });
    });
    return {
      epoch: text(reply[0]),
      counter: Number(text(reply[1])),
      count: Number(text(reply[2])),
      lastScore: Number(text(reply[3])),
      records,
    };
  }

  /** The stored records of these members (`<kind>:<id>`), in order; undefined where none (or not a record). */
  async readRecords(members: readonly string[]): Promise<(StoredValue | undefined)[]> {
    if (members.length === 0) return [];
    const values = (await this.#command(['MGET', ...members.map((member) => recordKey(this.#keys, member))])) as unknown[];
    return members.map((_, i) => {
      const value = values[i];
      return value === null || value === undefined ? undefined : parseStoredValue(text(value));
    });
  }

  /** PUBLISH; resolves with the number of subscribers that received the message. */
  async publish(channel: string, message: string): Promise<number> {
    return Number(await this.#command(['PUBLISH', channel, message]));
  }

  async #eval(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.#command(['EVALSHA', script.sha, ...tail]);
    } catch (error) {
      // After a restart (or SCRIPT FLUSH) Redis no longer has the script: EVAL sends and caches it again.
      if (!/NOSCRIPT/.test(String((error as Error | undefined)?.message))) throw error;
      return this.#command(['EVAL', script.source, ...tail]);
    }
  }

  #command(args: readonly string[]): Promise<unknown> {
    if (!this.#connection.isReady) {
      return Promise.reject(Object.assign(new Error('Redis is not connected'), { name: 'ClientOfflineError' }));
    }
    return withTimeout(this.#connection.sendCommand(args, { timeout: this.#timeoutMs, typeMapping: {} }), this.#timeoutMs);
  }
}
