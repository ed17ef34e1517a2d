/**
 * An immutable set of granted permissions. A granted `ns:*` covers every permission that starts with `ns:`.
 * Wildcard prefixes are computed once, so a check allocates nothing.
 */
export class PermissionSet implements Iterable<string> {
  readonly #granted: ReadonlySet<string>;
  readonly #prefixes: readonly string[];

  constructor(permissions: Iterable<string> = []) {
    const granted = new Set<string>();
    const prefixes: string[] = [];
    for (const permission of permissions) {
      if (typeof permission !== 'string' || permission.length === 0) continue;
      granted.add(permission);
      if (permission.length > 2 && permission.endsWith(':*')) prefixes.push(permission.slice(0, -1));
    }
    this.#granted = granted;
    this.#prefixes = prefixes;
    Object.freeze(this);
  }

  /**
   * A shared, immutable set for `permissions`: thousands of connections with the same grants hold one instance
   * instead of one each (sets are immutable, so sharing is safe). The cache is bounded.
   */
  static of(permissions: Iterable<string>): PermissionSet {
    const given: readonly unknown[] = Array.isArray(permissions) ? permissions : [...permissions];
    // Every handshake passes here, and tokens of one issuer list the same grants in the same order: that exact
    // list is one join and one lookup. A name containing the separator could make two lists share a key, so such
    // lists (never seen in practice) skip interning altogether.
    let plain = true;
    for (const permission of given) {
      if (typeof permission !== 'string' || permission.includes(SEPARATOR)) {
        plain = false;
        break;
      }
    }
    const exactKey = plain ? given.join(SEPARATOR) : undefined;
    if (exactKey !== undefined) {
      const hit = INTERNED.get(exactKey);
      if (hit !== undefined) return hit;
    }
    const list = given.filter((p): p is string => typeof p === 'string' && p.length > 0);
    if (list.some((permission) => permission.includes(SEPARATOR))) return new PermissionSet(list);
    // Any order, duplicates or empty names: the same grants share the instance of their canonical list.
    const key = [...new Set(list)].sort().join(SEPARATOR);
    let set = INTERNED.get(key);
    if (set === undefined) {
      if (INTERNED.size >= MAX_INTERNED) INTERNED.clear();
      set = new PermissionSet(list);
      INTERNED.set(key, set);
    }
    if (exactKey !== undefined && exactKey !== key) INTERNED.set(exactKey, set);
    return set;
  }

  /** How many distinct permissions were granted (wildcards count once). */
  get size(): number {
    return this.#granted.size;
  }

  /** True when `permission` is granted literally or through an `ns:*` wildcard. */
  has(permission: string): boolean {
    if (this.#granted.has(permission)) return true;
    for (const prefix of this.#prefixes) {
      if (permission.length > prefix.length && permission.startsWith(prefix)) return true;
    }
    return false;
  }

  /**
   * The permissions of this set that `other` does not grant, literally or through a wildcard, sorted: what a
   * connection loses when `other` replaces this set. A wildcard counts as itself (`chat:*` replaced by `chat:read`
   * is `chat:*` lost); one covered by a wider wildcard of `other` is not lost. Empty when `other` grants as much.
   *
   * @example
   * ```ts
   * PermissionSet.of(['chat:*', 'admin:kick']).notGrantedBy(PermissionSet.of(['chat:read'])); // ['admin:kick', 'chat:*']
   * ```
   */
  notGrantedBy(other: PermissionSet): string[] {
    if (other === this) return [];
    const lost: string[] = [];
    for (const permission of this.#granted) if (!other.has(permission)) lost.push(permission);
    return lost.sort();
  }

  /** The granted permissions, sorted, as a new array. */
  toArray(): string[] {
    return [...this.#granted].sort();
  }

  [Symbol.iterator](): Iterator<string> {
    return this.#granted.values();
  }

  toJSON(): string[] {
    return this.toArray();
  }
}

/** Joins permission names into interning keys. */
const SEPARATOR = '\u0000';
const MAX_INTERNED = 1024;
const INTERNED = new Map<string, PermissionSet>();
