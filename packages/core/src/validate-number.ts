/**
 * A numeric `createVerifier` option: `fallback` when absent, otherwise a finite number from `min` to `max` (and an
 * integer if asked), or a `TypeError` naming the option.
 * @internal
 */
export function validateNumber(
  value: unknown,
  name: string,
  fallback: number,
  min: number,
  max: number,
  integer = false,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new TypeError(`createVerifier: "${name}" must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}
