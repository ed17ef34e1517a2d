import { compileRequirement, type CompiledRequirement, type PermissionRequirement } from '@sockauth/core';

/**
 * Which permissions each event needs. Keys are event names or `prefix*` patterns (`'admin:*'`); values are
 * requirements (`'chat:write'`, `['a', 'b']` = all of, `{ anyOf: [...] }`, or `null` = authenticated is enough).
 * The exact name wins over patterns; among patterns, the longest prefix wins.
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
    if (typeof events !== 'object' || events === null) throw new TypeError('sockauth: "events" must be an object');
    for (const [name, requirement] of Object.entries(events)) {
      let compiled: CompiledRequirement;
      try {
        compiled = compileRequirement(requirement);
      } catch (error) {
        throw new TypeError(`sockauth: events[${JSON.stringify(name)}]: ${(error as Error).message}`);
      }
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
