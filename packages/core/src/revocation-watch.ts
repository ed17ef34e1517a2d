import { revocationApplies, type RevocationRecord, type RevocationStore, type RevocationSubject } from './revocation.js';

/** What the watch can revoke: a connection authenticated but not yet indexed by its adapter. */
interface Revocable {
  readonly context: RevocationSubject | undefined;
  revoke(): boolean;
}

/**
 * Revocations that arrive while a token is being verified. A store lookup answers for the moment it ran: a
 * revocation that reaches this node after that moment, but before the verified context is in force where
 * revocations look for it (the adapter's connection index, or the context a re-auth commits), would otherwise be
 * missed, and the connection would run on a revoked token until it expires. The watch listens to the store only
 * while something is in flight, so an idle node pays nothing.
 */
export class RevocationWatch {
  readonly #store: RevocationStore;
  readonly #open = new Set<RevocationRecord[]>();
  readonly #pending = new Set<Revocable>();
  #unsubscribe: (() => void) | undefined;
  /** The store's listener: one function for the watch's life (it subscribes again each time something is in flight). */
  readonly #receive = (record: RevocationRecord): void => this.#received(record);

  constructor(store: RevocationStore) {
    this.#store = store;
  }

  /** Starts collecting revocations; call before the store lookup, and {@link close} with the same list after. */
  open(): RevocationRecord[] {
    const seen: RevocationRecord[] = [];
    this.#open.add(seen);
    this.#listen();
    return seen;
  }

  /** True when a revocation collected in `seen` applies to `token`. */
  static applies(seen: readonly RevocationRecord[], token: RevocationSubject): boolean {
    return seen.some((record) => revocationApplies(record, token));
  }

  close(seen: RevocationRecord[]): void {
    this.#open.delete(seen);
    this.#idle();
  }

  /**
   * Revokes `connection` at once if a revocation applies to it before {@link unfollow}: for a connection the
   * adapter has not indexed yet (it is handed over asynchronously).
   */
  follow(connection: Revocable): void {
    this.#pending.add(connection);
    this.#listen();
  }

  unfollow(connection: Revocable): void {
    if (this.#pending.delete(connection)) this.#idle();
  }

  #listen(): void {
    this.#unsubscribe ??= this.#store.subscribe(this.#receive);
  }

  #idle(): void {
    if (this.#open.size > 0 || this.#pending.size > 0) return;
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    unsubscribe?.();
  }

  #received(record: RevocationRecord): void {
    for (const seen of this.#open) seen.push(record);
    for (const connection of this.#pending) {
      const context = connection.context;
      if (context !== undefined && revocationApplies(record, context)) {
        this.#pending.delete(connection);
        connection.revoke();
      }
    }
    this.#idle();
  }
}
