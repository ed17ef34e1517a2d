import { AuthUnavailableError } from '@sockauth/core';

/**
 * Where the store stands with Redis:
 * - `connecting`: not connected yet (start-up).
 * - `syncing`: subscribed; reading what was written since the last point seen.
 * - `synced`: subscribed and current: `isRevoked` answers from memory, with no Redis round trip.
 * - `down`: the subscription is lost (or unhealthy): `isRevoked` asks Redis directly, then follows `failMode`.
 * - `closed`: {@link RedisRevocationStore.close} was called.
 *
 * @example
 * ```ts
 * new RedisRevocationStore({ url, onStatusChange: (status) => logger.info({ status }, 'revocation store') });
 * ```
 */
export type RedisStoreStatus = 'connecting' | 'syncing' | 'synced' | 'down' | 'closed';

/** The store's status: its transitions, the observer told of each, and the promises waiting for one. */
export class StoreStatus {
  #status: RedisStoreStatus = 'connecting';
  readonly #waiters = new Set<() => void>();
  readonly #onChange: ((status: RedisStoreStatus) => void) | undefined;

  constructor(onChange: ((status: RedisStoreStatus) => void) | undefined) {
    this.#onChange = onChange;
  }

  get current(): RedisStoreStatus {
    return this.#status;
  }

  /** A method, so TypeScript does not narrow the status across awaits. */
  isClosed(): boolean {
    return this.#status === 'closed';
  }

  /** `closed` is final. */
  set(status: RedisStoreStatus): void {
    if (this.#status === status || this.#status === 'closed') return;
    this.#status = status;
    for (const wake of [...this.#waiters]) wake();
    if (this.#onChange !== undefined) {
      try {
        this.#onChange(status);
      } catch {
        // An observer must not break the store.
      }
    }
  }

  /** The mirror may be stale. Before the first connection the store is still `connecting`. */
  markDown(): void {
    if (this.#status === 'closed' || this.#status === 'connecting') return;
    this.set('down');
  }

  /** Resolves once `accept(status)` holds; rejects with `AUTH_UNAVAILABLE` on close or after `timeoutMs`. */
  waitFor(accept: (status: RedisStoreStatus) => boolean, timeoutMs: number, message: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): boolean => {
        if (accept(this.#status)) {
          done();
          resolve();
          return true;
        }
        if (this.#status === 'closed') {
          done();
          reject(new AuthUnavailableError('revocation store closed'));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new AuthUnavailableError(message, { cause: { name: 'TimeoutError' } }));
      }, timeoutMs);
      const waiter = (): void => void check();
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      if (!check()) this.#waiters.add(waiter);
    });
  }
}
