import { assertPlainObject } from './option-keys.js';
import { compileRequirement, type CompiledRequirement, type PermissionRequirement } from './permissions.js';

/**
 * Which permissions each event needs. Keys are event names or `prefix*` patterns (`'admin:*'`; `'*'` alone covers
 * every event no other entry does); values are requirements (`'chat:write'`, `['a', 'b']` = all of,
 * `{ anyOf: [...] }`, or `null` = authenticated is enough). The exact name wins over patterns; among patterns, the
 * longest prefix wins. Strict, at start-up: a malformed requirement (`{}`, `[]`, `{ anyOf: [] }`, a misspelt
 * `allof`), an empty name or a `*` anywhere but at the end of a name is a `TypeError` naming the entry, never
 * "no permission needed".
 *
 * @example
 * ```ts
 * const events: EventPermissions = { whoami: null, 'chat:send': 'chat:write', 'admin:*': ['chat:admin'] };
 * ```
 */
export type EventPermissions = Readonly<Record<string, PermissionRequirement>>;

/** What happens to events that no map entry (and no `guard`) covers. */
export type UnlistedEventPolicy = 'deny' | 'authenticated';

/** A compiled event map: exact lookups first, then prefix patterns longest first. */
export class EventPolicy {
  readonly #exact = new Map<string, CompiledRequirement>();
  readonly #patterns: { readonly prefix: string; readonly requirement: CompiledRequirement }[] = [];

  constructor(events: EventPermissions = {}) {
    assertPlainObject('"events"', events as unknown);
    for (const [name, requirement] of Object.entries(events)) {
      const entry = `events[${JSON.stringify(name)}]`;
      if (name.length === 0) throw new TypeError(`sockauth: ${entry}: an event name must not be empty`);
      // 'doc:*:delete' or '*:delete' would be an exact name no event has: the rule would silently never apply.
      if (name.indexOf('*') !== -1 && name.indexOf('*') !== name.length - 1) {
        throw new TypeError(`sockauth: ${entry}: "*" may only end a name (a prefix pattern such as "admin:*")`);
      }
      const compiled = compileRequirement(requirement, entry);
      if (name.endsWith('*')) this.#patterns.push({ prefix: name.slice(0, -1), requirement: compiled });
      else this.#exact.set(name, compiled);
    }
    this.#patterns.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The requirement of `event`, or `undefined` when the map does not cover it. Allocates nothing. */
  requirementFor(event: string): CompiledRequirement | undefined {
    const exact = this.#exact.get(event);
    if (exact !== undefined) return exact;
    for (const pattern of this.#patterns) if (event.startsWith(pattern.prefix)) return pattern.requirement;
    return undefined;
  }
}
