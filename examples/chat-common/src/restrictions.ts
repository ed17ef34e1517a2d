import { PermissionSet, defaultMapClaims, type ClaimsMapper } from '@sockauth/core';

/**
 * Live restrictions of the demo (DEMO-CONTRACT "Rooms follow current authorization", `POST /admin/restrict`): per
 * subject, permissions withheld whatever the subject's tokens say. Read synchronously on every handshake and
 * re-auth (through {@link restrictedMapClaims}), and when sockauth re-evaluates live sockets: so a restriction
 * changes the permissions in force without a new token (`version` unchanged).
 */
export interface RestrictionRegistry {
  /** The permissions withheld from `subject` (`undefined`: none). Synchronous: `mapClaims` calls it. */
  deniedTo(subject: string): PermissionSet | undefined;
  /**
   * Replaces `subject`'s restriction with `deny` (`[]` lifts it). Resolves once this node applies it, and, for a
   * shared registry, once it is stored where every node reads it.
   */
  restrict(subject: string, deny: readonly string[]): Promise<void>;
  /** Reads `subject`'s restriction again from where it is kept (a shared registry; a no-op in memory). */
  refresh(subject: string): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Most subjects the demo keeps a restriction for (a demo bound, not a product limit). */
export const MAX_RESTRICTED_SUBJECTS = 10_000;
/** Most permissions in one `deny` list. */
export const MAX_DENIED_PERMISSIONS = 64;
/** Longest permission name in a `deny` list. */
export const MAX_PERMISSION_LENGTH = 128;

/**
 * Validates a `POST /admin/restrict` body: `subject` (a non-empty string) and `deny` (an array of non-empty
 * strings, at most {@link MAX_DENIED_PERMISSIONS}). Throws a `TypeError` whose message the demos send with 400.
 *
 * @example
 * ```ts
 * parseRestriction({ subject: 'alice', deny: ['chat:read'] }); // → { subject: 'alice', deny: ['chat:read'] }
 * ```
 */
export function parseRestriction(body: Readonly<Record<string, unknown>>): { subject: string; deny: readonly string[] } {
  const { subject, deny } = body;
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 1024) {
    throw new TypeError('"subject" must be a non-empty string of at most 1024 characters');
  }
  if (
    !Array.isArray(deny) ||
    deny.length > MAX_DENIED_PERMISSIONS ||
    !deny.every((p) => typeof p === 'string' && p.length > 0 && p.length <= MAX_PERMISSION_LENGTH)
  ) {
    throw new TypeError(`"deny" must be an array of at most ${MAX_DENIED_PERMISSIONS} non-empty permission strings`);
  }
  return { subject, deny: [...new Set(deny as string[])] };
}

/**
 * True when holding `permission` would grant something `denied` withholds: the permission itself is denied
 * (literally or by a denied `ns:*`), or it is a wildcard `ns:*` covering a denied permission. Such a wildcard is
 * withheld whole (fail closed): a wildcard cannot be narrowed, and keeping it would grant the denied permission.
 */
function withheld(permission: string, denied: PermissionSet): boolean {
  if (denied.has(permission)) return true;
  if (permission.length <= 2 || !permission.endsWith(':*')) return false;
  const held = PermissionSet.of([permission]);
  for (const name of denied) if (held.has(name)) return true;
  return false;
}

/**
 * Wraps a claims mapper so the permissions `registry` withholds from a subject are removed from every context
 * built for it: at the handshake, at every re-auth, and when sockauth re-evaluates a live socket.
 *
 * @example
 * ```ts
 * const restrictions = new MemoryRestrictions();
 * createSockAuth({ verifier, mapClaims: restrictedMapClaims(restrictions) });
 * ```
 */
export function restrictedMapClaims(registry: RestrictionRegistry, base: ClaimsMapper = defaultMapClaims): ClaimsMapper {
  return (claims) => {
    const identity = base(claims);
    const denied = registry.deniedTo(identity.subject);
    if (denied === undefined) return identity;
    return { ...identity, permissions: [...(identity.permissions ?? [])].filter((p) => !withheld(p, denied)) };
  };
}

/**
 * The restrictions of one process (the demo without `REDIS_URL`). Bounded by {@link MAX_RESTRICTED_SUBJECTS}:
 * past it a new restriction is refused (`RangeError`) rather than an old one silently dropped.
 *
 * @example
 * ```ts
 * const restrictions = new MemoryRestrictions();
 * await restrictions.restrict('alice', ['chat:read']);
 * restrictions.deniedTo('alice')?.has('chat:read'); // true
 * ```
 */
export class MemoryRestrictions implements RestrictionRegistry {
  readonly #denied = new Map<string, PermissionSet>();

  deniedTo(subject: string): PermissionSet | undefined {
    return this.#denied.get(subject);
  }

  async restrict(subject: string, deny: readonly string[]): Promise<void> {
    this.apply(subject, deny);
  }

  /** Applies a restriction synchronously (also what a shared registry does with what it reads). */
  apply(subject: string, deny: readonly string[]): void {
    if (deny.length === 0) {
      this.#denied.delete(subject);
      return;
    }
    if (!this.#denied.has(subject) && this.#denied.size >= MAX_RESTRICTED_SUBJECTS) {
      throw new RangeError(`at most ${MAX_RESTRICTED_SUBJECTS} subjects can be restricted`);
    }
    this.#denied.set(subject, PermissionSet.of(deny));
  }

  async refresh(): Promise<void> {}

  async close(): Promise<void> {
    this.#denied.clear();
  }
}
