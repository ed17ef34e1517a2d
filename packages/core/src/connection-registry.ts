import type { AuthContext } from './auth-context.js';
import { revocationApplies, type RevocationKind, type RevocationRecord } from './revocation.js';

/**
 * Live connections indexed by subject, session id and token id, so a revocation finds its connections without
 * scanning every connection on the node.
 *
 * @example
 * ```ts
 * const registry = new ConnectionRegistry<Socket>();
 * registry.set(socket, ctx);              // on connect and after every re-auth
 * registry.match(record).forEach(cut);    // on revocation
 * registry.delete(socket);                // on disconnect
 * ```
 */
export class ConnectionRegistry<T> {
  readonly #contexts = new Map<T, AuthContext>();
  /**
   * Most ids have exactly one connection (a token id always does, a session or subject usually does), so an
   * index entry is the connection itself until a second one arrives: a Set per id would cost ~200 bytes each.
   */
  readonly #indexes: Record<RevocationKind, Map<string, T | Bucket<T>>> = {
    subject: new Map(),
    session: new Map(),
    token: new Map(),
  };

  /** Number of registered connections. */
  get size(): number {
    return this.#contexts.size;
  }

  /** The context registered for `connection`. */
  get(connection: T): AuthContext | undefined {
    return this.#contexts.get(connection);
  }

  /**
   * Registers `connection` with `context`, replacing its previous entry (after a re-auth). A context of the same
   * identity (subject, session id, token id: a re-evaluation's) replaces the entry in place, the indexes untouched.
   */
  set(connection: T, context: AuthContext): void {
    const previous = this.#contexts.get(connection);
    if (
      previous !== undefined &&
      previous.subject === context.subject &&
      previous.sessionId === context.sessionId &&
      previous.tokenId === context.tokenId
    ) {
      this.#contexts.set(connection, context);
      return;
    }
    this.delete(connection);
    this.#contexts.set(connection, context);
    this.#add('subject', context.subject, connection);
    if (context.sessionId !== undefined) this.#add('session', context.sessionId, connection);
    if (context.tokenId !== undefined) this.#add('token', context.tokenId, connection);
  }

  /** Removes `connection`. Idempotent. */
  delete(connection: T): void {
    const context = this.#contexts.get(connection);
    if (context === undefined) return;
    this.#contexts.delete(connection);
    this.#remove('subject', context.subject, connection);
    if (context.sessionId !== undefined) this.#remove('session', context.sessionId, connection);
    if (context.tokenId !== undefined) this.#remove('token', context.tokenId, connection);
  }

  /** The connections a revocation applies to, found through the index of its kind. */
  match(record: RevocationRecord): T[] {
    const entry = this.#indexes[record.kind].get(record.id);
    if (entry === undefined) return [];
    const matches: T[] = [];
    for (const connection of entry instanceof Bucket ? entry : [entry]) {
      const context = this.#contexts.get(connection);
      if (context !== undefined && revocationApplies(record, context)) matches.push(connection);
    }
    return matches;
  }

  /**
   * Appends to `into` every connection indexed under `kind` and `id` that is not in `seen` yet (and adds it there):
   * what a re-evaluation matches, whatever the contexts' `iat`, without an array or record per target.
   */
  collect(kind: RevocationKind, id: string, seen: Set<T>, into: T[]): void {
    const entry = this.#indexes[kind].get(id);
    if (entry === undefined) return;
    if (!(entry instanceof Bucket)) {
      if (!seen.has(entry)) {
        seen.add(entry);
        into.push(entry);
      }
      return;
    }
    for (const connection of entry) {
      if (seen.has(connection)) continue;
      seen.add(connection);
      into.push(connection);
    }
  }

  /** Every registered connection. */
  connections(): IterableIterator<T> {
    return this.#contexts.keys();
  }

  #add(kind: RevocationKind, id: string, connection: T): void {
    const index = this.#indexes[kind];
    const entry = index.get(id);
    if (entry === undefined) index.set(id, connection);
    else if (entry instanceof Bucket) entry.add(connection);
    else if (entry !== connection) index.set(id, new Bucket([entry, connection]));
  }

  #remove(kind: RevocationKind, id: string, connection: T): void {
    const index = this.#indexes[kind];
    const entry = index.get(id);
    if (entry === undefined) return;
    if (!(entry instanceof Bucket)) {
      if (entry === connection) index.delete(id);
      return;
    }
    entry.delete(connection);
    if (entry.size === 1) index.set(id, entry.values().next().value as T);
  }
}

/** Several connections under one id (a class of its own, so a connection that is a Set is never mistaken for one). */
class Bucket<T> extends Set<T> {}
