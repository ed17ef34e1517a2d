import { assertKnownKeys, assertPlainObject, isPlainObject, type KnownKeys } from '@sockauth/core';

interface Options {
  readonly warnBeforeSec?: number;
  readonly graceSec?: number;
  readonly verifier: unknown;
}
const KEYS = { warnBeforeSec: true, graceSec: true, verifier: true } as const satisfies KnownKeys<Options>;

describe('assertKnownKeys', () => {
  it('accepts known keys, and no keys at all', () => {
    expect(() => assertKnownKeys('test options', { warnBeforeSec: 30, verifier: {} }, KEYS)).not.toThrow();
    expect(() => assertKnownKeys('test options', {}, KEYS)).not.toThrow();
  });

  it('names the unknown key, where it is and the nearest known one', () => {
    expect(() => assertKnownKeys('sockAuth options', { verifier: {}, warnBeforeSeconds: 30 }, KEYS)).toThrow(
      new TypeError('sockauth: unknown option "warnBeforeSeconds" in sockAuth options; did you mean "warnBeforeSec"?'),
    );
    expect(() => assertKnownKeys('sockAuth options', { gracesec: 1 }, KEYS)).toThrow(/did you mean "graceSec"\?/);
  });

  it('refuses an unknown key even when its value is undefined', () => {
    expect(() => assertKnownKeys('test options', { verfier: undefined }, KEYS)).toThrow(TypeError);
  });

  it('does not take inherited names for known keys', () => {
    expect(() => assertKnownKeys('test options', { toString: 1 }, KEYS)).toThrow(TypeError);
    expect(() => assertKnownKeys('test options', { constructor: 1 }, KEYS)).toThrow(TypeError);
  });

  it('makes the typecheck fail when the list and the interface drift apart', () => {
    // @ts-expect-error graceSec is missing from the list
    const missing = { warnBeforeSec: true, verifier: true } as const satisfies KnownKeys<Options>;
    // @ts-expect-error extra is not an option
    const extra = { warnBeforeSec: true, graceSec: true, verifier: true, extra: true } as const satisfies KnownKeys<Options>;
    expect([missing, extra]).toHaveLength(2);
  });
});

describe('assertPlainObject', () => {
  it('accepts object literals and null-prototype objects', () => {
    expect(() => assertPlainObject('x', {})).not.toThrow();
    expect(() => assertPlainObject('x', Object.create(null))).not.toThrow();
  });

  it.each<[string, unknown]>([
    ['a string', '/admin'],
    ['null', null],
    ['an array', []],
    ['a function', () => undefined],
    ['a class instance', new Map()],
  ])('refuses %s', (_, value) => {
    expect(() => assertPlainObject('x', value)).toThrow(TypeError);
  });
});

describe('isPlainObject', () => {
  it('tells object literals from everything else', () => {
    expect(isPlainObject({ a: 1 })).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect(isPlainObject(JSON.parse('{"a":1}'))).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(new (class Hooks {})())).toBe(false);
    expect(isPlainObject('x')).toBe(false);
    expect(isPlainObject(null)).toBe(false);
  });
});
