/**
 * A `skipNamespaces` entry, matched against *concrete* namespace names (`/chat`, or a dynamic child such as
 * `/rooms/42`, never a regex parent namespace):
 * - a string: exactly that name (with its leading `/`);
 * - a `RegExp`: the names it matches, from the start of the name whatever its `lastIndex` (`g`/`y` flags included);
 * - a function: the names it returns `true` for; a function that throws leaves the namespace authenticated.
 *
 * @example
 * ```ts
 * const rules: NamespaceRule[] = ['/status', /^\/public-/, (name) => name.endsWith('/health')];
 * ```
 */
export type NamespaceRule = string | RegExp | ((name: string) => boolean);

/**
 * Whether `rule` matches the namespace name `name`. A `RegExp` is tested from index 0 and its `lastIndex` is left
 * as it was: the same object may be shared with `io.of(pattern)`, whose own matching reads it. This is the one
 * matcher every `skipNamespaces` decision goes through.
 *
 * @example
 * ```ts
 * matchesNamespace(/^\/open-/g, '/open-a'); // true, every time
 * ```
 */
export function matchesNamespace(rule: NamespaceRule, name: string): boolean {
  if (typeof rule === 'string') return rule === name;
  if (typeof rule === 'function') {
    try {
      return rule(name) === true;
    } catch {
      // Fail closed: a rule that cannot decide does not open a namespace.
      return false;
    }
  }
  const lastIndex = rule.lastIndex;
  rule.lastIndex = 0;
  try {
    return rule.test(name);
  } finally {
    rule.lastIndex = lastIndex;
  }
}

/**
 * Whether any of `rules` matches the namespace name `name`.
 *
 * @example
 * ```ts
 * if (matchesAnyNamespace(['/status', /^\/public-/], socket.nsp.name)) return;
 * ```
 */
export function matchesAnyNamespace(rules: readonly NamespaceRule[], name: string): boolean {
  for (const rule of rules) if (matchesNamespace(rule, name)) return true;
  return false;
}

/**
 * Validates a `skipNamespaces` option at start-up: a `TypeError` naming it for anything but an array of names
 * starting with `/` (a name without it would never match, silently), `RegExp`s and functions.
 */
export function validateNamespaceRules(rules: unknown): readonly NamespaceRule[] {
  if (rules === undefined) return [];
  const valid =
    Array.isArray(rules) &&
    rules.every((rule) => (typeof rule === 'string' && rule.startsWith('/')) || rule instanceof RegExp || typeof rule === 'function');
  if (!valid) {
    throw new TypeError('sockauth: "skipNamespaces" must be an array of namespace names starting with "/", RegExps or functions');
  }
  return Object.freeze([...(rules as NamespaceRule[])]);
}
