import { matchesAnyNamespace, matchesNamespace, validateNamespaceRules } from '../src/namespace-rules.js';

describe('matchesNamespace', () => {
  test('a name matches itself only', () => {
    expect(matchesNamespace('/status', '/status')).toBe(true);
    expect(matchesNamespace('/status', '/status-2')).toBe(false);
  });

  test.each([[/^\/open-/g], [/^\/open-/y], [/^\/open-/gy]])('%s matches every name it matches from index 0, and keeps its lastIndex', (rule) => {
    rule.lastIndex = 3;
    expect(['/open-a', '/open-b', '/open-a', '/closed'].map((name) => matchesNamespace(rule, name))).toEqual([true, true, true, false]);
    expect(rule.lastIndex).toBe(3);
  });

  test('a predicate decides; one that throws or answers anything but true does not open the namespace', () => {
    expect(matchesNamespace((name) => name.endsWith('/health'), '/x/health')).toBe(true);
    expect(matchesNamespace(() => 1 as unknown as boolean, '/x')).toBe(false);
    expect(
      matchesNamespace(() => {
        throw new Error('no');
      }, '/x'),
    ).toBe(false);
  });

  test('matchesAnyNamespace: any rule', () => {
    expect(matchesAnyNamespace(['/a', /^\/b/], '/b1')).toBe(true);
    expect(matchesAnyNamespace(['/a', /^\/b/], '/c')).toBe(false);
    expect(matchesAnyNamespace([], '/')).toBe(false);
  });
});

describe('validateNamespaceRules', () => {
  test('accepts names, patterns and predicates; nothing means none', () => {
    const predicate = () => false;
    expect(validateNamespaceRules(['/a', /b/, predicate])).toEqual(['/a', /b/, predicate]);
    expect(validateNamespaceRules(undefined)).toEqual([]);
  });

  test.each([['/a'], [['status']], [[42]], [[null]], [{ 0: '/a' }]])('refuses %p with a TypeError', (rules) => {
    expect(() => validateNamespaceRules(rules)).toThrow(TypeError);
  });
});
