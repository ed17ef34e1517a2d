import { closest } from 'fastest-levenshtein';

/**
 * The option names of `T`, each mapped to `true`: the list {@link assertKnownKeys} checks against. Declare it next to
 * the options interface with `satisfies KnownKeys<Options>`, so that an option added to the interface but not to the
 * list (or listed but not declared) fails the typecheck instead of being refused at run time.
 *
 * @example
 * ```ts
 * interface PoolOptions { readonly size?: number; readonly idleMs?: number }
 * const POOL_OPTION_KEYS = { size: true, idleMs: true } as const satisfies KnownKeys<PoolOptions>;
 * ```
 */
export type KnownKeys<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Throws a `TypeError` naming the first own key of `options` that `known` does not list, with the nearest known
 * key as a suggestion: a misspelt option (`warnBeforeSeconds` for `warnBeforeSec`) would otherwise be ignored and
 * leave a default in force without a word. `where` says which options object it is, for the message. A key whose
 * value is `undefined` counts too: it is still a typo. Values are not looked at.
 *
 * @example
 * ```ts
 * assertKnownKeys('sockAuth options', { warnBeforeSeconds: 30 }, { warnBeforeSec: true });
 * // TypeError: sockauth: unknown option "warnBeforeSeconds" in sockAuth options; did you mean "warnBeforeSec"?
 * ```
 */
export function assertKnownKeys(where: string, options: object, known: Readonly<Record<string, true>>, noun = 'option'): void {
  for (const key of Object.keys(options)) {
    if (Object.prototype.hasOwnProperty.call(known, key)) continue;
    const names = Object.keys(known);
    const suggestion = names.length === 0 ? '' : `; did you mean ${JSON.stringify(closest(key, names))}?`;
    throw new TypeError(`sockauth: unknown ${noun} ${JSON.stringify(key)} in ${where}${suggestion}`);
  }
}

/**
 * Throws a `TypeError` unless `value` is a plain object (an object literal, `Object.create(null)` or a JSON
 * object): arrays, functions, class instances and primitives are not options objects.
 *
 * @example
 * ```ts
 * assertPlainObject('sockAuth options.cookie', options.cookie);
 * ```
 */
export function assertPlainObject(where: string, value: unknown): asserts value is Record<string, unknown> {
  if (!isPlainObject(value)) throw new TypeError(`sockauth: ${where} must be a plain object`);
}

/**
 * True for an object literal, `Object.create(null)` or a JSON object; false for arrays, functions, class instances
 * and primitives.
 *
 * @example
 * ```ts
 * isPlainObject({ allOf: ['a'] }); // true
 * isPlainObject(new Map());        // false
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
