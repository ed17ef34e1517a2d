import {
  AuthRevokedError,
  PermissionSet,
  allOf,
  anyOf,
  authorizeAction,
  compileRequirement,
  createAuthContext,
  isAuthError,
  satisfies,
} from '../src/index.js';
import type { AuthContext, AuthErrorCode, AuthorizeHook, PermissionRequirement } from '../src/index.js';
import { claims, rejectionOf } from './support.js';

function contextWith(...permissions: string[]): AuthContext {
  return createAuthContext(claims({ permissions }));
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode> {
  const error = await rejectionOf(promise);
  if (!isAuthError(error)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error.code;
}

describe('PermissionSet', () => {
  it('grants literal permissions only', () => {
    const set = new PermissionSet(['chat:read', 'chat:write']);
    expect(set.has('chat:read')).toBe(true);
    expect(set.has('chat:admin')).toBe(false);
    expect(set.has('chat')).toBe(false);
    expect(set.size).toBe(2);
  });

  it('lets chat:* grant chat:send but not chatx, chat: or another namespace', () => {
    const set = new PermissionSet(['chat:*']);
    expect(set.has('chat:send')).toBe(true);
    expect(set.has('chat:room:42')).toBe(true);
    expect(set.has('chat:*')).toBe(true);
    expect(set.has('chatx')).toBe(false);
    expect(set.has('chatx:send')).toBe(false);
    expect(set.has('chat:')).toBe(false);
    expect(set.has('chat')).toBe(false);
    expect(set.has('billing:read')).toBe(false);
  });

  it('supports nested wildcards without widening them', () => {
    const set = new PermissionSet(['chat:room:*']);
    expect(set.has('chat:room:42')).toBe(true);
    expect(set.has('chat:send')).toBe(false);
  });

  it('does not treat a bare * or :* as a wildcard for everything', () => {
    expect(new PermissionSet(['*']).has('chat:send')).toBe(false);
    expect(new PermissionSet([':*']).has(':x')).toBe(false);
  });

  it('skips empty and non-string entries', () => {
    const set = new PermissionSet(['', 'a', 5 as unknown as string, 'a']);
    expect(set.toArray()).toEqual(['a']);
  });

  it('is immutable: frozen, with no mutators, and toArray returns a copy', () => {
    const set = new PermissionSet(['b', 'a']);
    expect(Object.isFrozen(set)).toBe(true);
    const loose = set as unknown as Record<string, unknown>;
    for (const mutator of ['add', 'delete', 'clear', 'set', 'push']) expect(loose[mutator]).toBeUndefined();
    const array = set.toArray();
    array.push('admin');
    expect(set.has('admin')).toBe(false);
    expect(set.toArray()).toEqual(['a', 'b']);
  });

  it('iterates and serialises its permissions', () => {
    const set = new PermissionSet(['b', 'a']);
    expect([...set].sort()).toEqual(['a', 'b']);
    expect(JSON.stringify({ set })).toBe('{"set":["a","b"]}');
    expect(new PermissionSet().size).toBe(0);
  });

  it('notGrantedBy: what a replacement set lacks, wildcards matched both ways, sorted', () => {
    const before = PermissionSet.of(['chat:read', 'chat:write', 'admin:*']);
    expect(before.notGrantedBy(PermissionSet.of(['chat:read']))).toEqual(['admin:*', 'chat:write']);
    // A narrower grant does not replace a wildcard; a wider wildcard covers what it replaces.
    expect(before.notGrantedBy(PermissionSet.of(['chat:*', 'admin:kick']))).toEqual(['admin:*']);
    expect(before.notGrantedBy(PermissionSet.of(['chat:*', 'admin:*']))).toEqual([]);
    // Equal (also when interned to the same instance) or wider: nothing lost.
    expect(before.notGrantedBy(PermissionSet.of(['admin:*', 'chat:write', 'chat:read']))).toEqual([]);
    expect(before.notGrantedBy(before)).toEqual([]);
    expect(new PermissionSet(['chat:read']).notGrantedBy(new PermissionSet(['chat:read', 'x']))).toEqual([]);
    expect(before.notGrantedBy(new PermissionSet())).toEqual(['admin:*', 'chat:read', 'chat:write']);
  });
});

describe('compileRequirement', () => {
  it('treats a string as a single required permission', () => {
    expect(compileRequirement('chat:send')).toEqual({ allOf: ['chat:send'], anyOf: [] });
  });

  it('treats an array as all-of', () => {
    expect(compileRequirement(['a', 'b'])).toEqual({ allOf: ['a', 'b'], anyOf: [] });
  });

  it('accepts { allOf, anyOf }, either optional', () => {
    expect(compileRequirement({ allOf: ['a'], anyOf: ['b', 'c'] })).toEqual({ allOf: ['a'], anyOf: ['b', 'c'] });
    expect(compileRequirement({ anyOf: ['b'] })).toEqual({ allOf: [], anyOf: ['b'] });
    expect(compileRequirement({ allOf: ['a'] })).toEqual({ allOf: ['a'], anyOf: [] });
    expect(compileRequirement(Object.assign(Object.create(null), { anyOf: ['b'] }))).toEqual({ allOf: [], anyOf: ['b'] });
  });

  it('treats null as authenticated-only', () => {
    expect(compileRequirement(null)).toEqual({ allOf: [], anyOf: [] });
  });

  it('builds requirements with allOf() and anyOf()', () => {
    expect(compileRequirement(allOf('a', 'b'))).toEqual({ allOf: ['a', 'b'], anyOf: [] });
    expect(compileRequirement(anyOf('a', 'b'))).toEqual({ allOf: [], anyOf: ['a', 'b'] });
  });

  it('refuses allOf() and anyOf() with no permission, or a malformed one', () => {
    expect(() => allOf()).toThrow(TypeError);
    expect(() => anyOf()).toThrow(TypeError);
    expect(() => allOf('a', '')).toThrow(TypeError);
    expect(() => anyOf('a', 1 as unknown as string)).toThrow(TypeError);
  });

  it('returns a frozen copy that later edits of the input cannot change', () => {
    const list = ['a'];
    const compiled = compileRequirement(list);
    list.push('b');
    expect(compiled.allOf).toEqual(['a']);
    expect(Object.isFrozen(compiled)).toBe(true);
    expect(Object.isFrozen(compiled.allOf)).toBe(true);
    expect(Object.isFrozen(compiled.anyOf)).toBe(true);
  });

  it('accepts an already compiled requirement, the authenticated-only one included', () => {
    const compiled = compileRequirement({ allOf: ['a'], anyOf: ['b'] });
    expect(compileRequirement(compiled)).toBe(compiled);
    const authenticated = compileRequirement(null);
    expect(compileRequirement(authenticated)).toBe(authenticated);
  });

  // Issue #13.1: each of these used to compile to "no permission needed".
  it.each<[string, unknown]>([
    ['a misspelt key (allof)', { allof: ['doc:admin'] }],
    ['an empty object', {}],
    ['an empty anyOf', { anyOf: [] }],
    ['an empty allOf', { allOf: [] }],
    ['an empty allOf beside a valid anyOf', { allOf: [], anyOf: ['a'] }],
    ['an empty array', []],
    ['a look-alike of a compiled requirement', { allOf: [], anyOf: [] }],
    ['a valid key beside an unknown one', { allOf: ['a'], noneOf: ['b'] }],
    ['undefined', undefined],
    ['allOf: undefined alone', { allOf: undefined }],
    ['an empty string', ''],
    ['an array with an empty string', ['a', '']],
    ['an array with a number', ['a', 1]],
    ['an array with a hole', [, 'a']], // eslint-disable-line no-sparse-arrays
    ['an array with a duplicate', ['a', 'a']],
    ['allOf that is a string', { allOf: 'a' }],
    ['anyOf with a non-string', { anyOf: [null] }],
    ['a number', 42],
    ['a boolean', true],
    ['a function', () => 'a'],
    ['a Set', new Set(['a'])],
    ['a class instance', new (class Rule { allOf = ['a']; })()],
  ])('throws a TypeError for %s', (_, requirement) => {
    expect(() => compileRequirement(requirement as PermissionRequirement)).toThrow(TypeError);
  });

  it('names what it compiles and suggests the key that was meant', () => {
    expect(() => compileRequirement({ allof: ['doc:admin'] } as PermissionRequirement, 'events["doc:delete"]')).toThrow(
      'sockauth: unknown key "allof" in events["doc:delete"]; did you mean "allOf"?',
    );
    expect(() => compileRequirement({}, 'events["doc:delete"]')).toThrow(/events\["doc:delete"\]/);
    expect(() => compileRequirement({ anyOf: [] }, 'events["doc:delete"]')).toThrow(/events\["doc:delete"\]\.anyOf/);
  });
});

describe('satisfies', () => {
  it('requires every all-of permission', () => {
    const requirement = compileRequirement(['chat:read', 'chat:write']);
    expect(satisfies(contextWith('chat:read', 'chat:write'), requirement)).toBe(true);
    expect(satisfies(contextWith('chat:read'), requirement)).toBe(false);
  });

  it('requires at least one any-of permission', () => {
    const requirement = compileRequirement(anyOf('chat:admin', 'chat:moderator'));
    expect(satisfies(contextWith('chat:moderator'), requirement)).toBe(true);
    expect(satisfies(contextWith('chat:read'), requirement)).toBe(false);
  });

  it('combines all-of and any-of', () => {
    const requirement = compileRequirement({ allOf: ['chat:read'], anyOf: ['chat:admin', 'chat:moderator'] });
    expect(satisfies(contextWith('chat:read', 'chat:admin'), requirement)).toBe(true);
    expect(satisfies(contextWith('chat:admin'), requirement)).toBe(false);
    expect(satisfies(contextWith('chat:read'), requirement)).toBe(false);
  });

  it('lets a null requirement pass any authenticated context', () => {
    expect(satisfies(contextWith(), compileRequirement(null))).toBe(true);
  });

  it('honours wildcards', () => {
    expect(satisfies(contextWith('chat:*'), compileRequirement(['chat:send', 'chat:read']))).toBe(true);
    expect(satisfies(contextWith('chat:*'), compileRequirement('chatx'))).toBe(false);
  });
});

describe('authorizeAction', () => {
  const requirement = compileRequirement('chat:send');

  it('resolves when the requirement is met and there is no hook', async () => {
    await expect(authorizeAction(contextWith('chat:send'), requirement, 'chat:send', [])).resolves.toBeUndefined();
  });

  it('refuses with AUTH_FORBIDDEN (action none) when the requirement is not met, without calling the hook', async () => {
    const hook = jest.fn(() => true);
    const error = await rejectionOf(authorizeAction(contextWith('chat:read'), requirement, 'chat:send', [], hook));
    expect(isAuthError(error) && error.code).toBe('AUTH_FORBIDDEN');
    expect(isAuthError(error) && error.action).toBe('none');
    expect(hook).not.toHaveBeenCalled();
  });

  it('passes context, action and the event arguments to the hook', async () => {
    const context = contextWith('chat:send');
    const args = [{ room: 'r1' }, 2];
    const hook = jest.fn<boolean, Parameters<AuthorizeHook>>(() => true);
    await authorizeAction(context, requirement, 'chat:send', args, hook);
    expect(hook).toHaveBeenCalledWith(context, 'chat:send', args);
  });

  it('refuses with AUTH_FORBIDDEN when the hook returns false or anything but true', async () => {
    const context = contextWith('chat:send');
    expect(await codeOf(authorizeAction(context, requirement, 'chat:send', [], () => false))).toBe('AUTH_FORBIDDEN');
    const truthy = (() => 'yes') as unknown as AuthorizeHook;
    expect(await codeOf(authorizeAction(context, requirement, 'chat:send', [], truthy))).toBe('AUTH_FORBIDDEN');
  });

  it('awaits an async hook', async () => {
    const context = contextWith('chat:send');
    await expect(authorizeAction(context, requirement, 'chat:send', [], async () => true)).resolves.toBeUndefined();
    expect(await codeOf(authorizeAction(context, requirement, 'chat:send', [], async () => false))).toBe('AUTH_FORBIDDEN');
  });

  it('refuses with the code of an AuthError thrown by the hook', async () => {
    const revoked = new AuthRevokedError();
    const error = await rejectionOf(
      authorizeAction(contextWith('chat:send'), requirement, 'chat:send', [], async () => {
        throw revoked;
      }),
    );
    expect(error).toBe(revoked);
  });

  it('refuses with AUTH_UNAVAILABLE when the hook throws anything else, without leaking its message', async () => {
    const error = await rejectionOf(
      authorizeAction(contextWith('chat:send'), requirement, 'chat:send', [], () => {
        throw new Error('db password=hunter2');
      }),
    );
    expect(isAuthError(error) && error.code).toBe('AUTH_UNAVAILABLE');
    expect(isAuthError(error) && error.action).toBe('retry');
    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect(String((error as Error).message)).not.toContain('hunter2');
  });

  it('refuses with AUTH_FORBIDDEN when no any-of permission is granted', async () => {
    const moderation = compileRequirement(anyOf('chat:admin', 'chat:moderator'));
    expect(await codeOf(authorizeAction(contextWith('chat:read'), moderation, 'room:kick', []))).toBe('AUTH_FORBIDDEN');
    const both = compileRequirement({ allOf: ['chat:read'], anyOf: ['chat:admin'] });
    expect(await codeOf(authorizeAction(contextWith('chat:read'), both, 'room:kick', []))).toBe('AUTH_FORBIDDEN');
  });

  it('lets a null requirement through to the hook', async () => {
    const hook = jest.fn(() => true);
    await authorizeAction(contextWith(), compileRequirement(null), 'ping', [], hook);
    expect(hook).toHaveBeenCalledTimes(1);
  });
});

describe('PermissionSet.of', () => {
  it('shares one immutable instance between equal grants in any order', () => {
    const a = PermissionSet.of(['chat:write', 'chat:read']);
    const b = PermissionSet.of(['chat:read', 'chat:write', 'chat:read']);
    expect(a).toBe(b);
    expect(a.toArray()).toEqual(['chat:read', 'chat:write']);
    expect(PermissionSet.of(['chat:read'])).not.toBe(a);
  });

  it('answers a list seen before in the same order from the cache, and still canonicalises other orders', () => {
    const first = PermissionSet.of(['p:b', 'p:a']);
    expect(PermissionSet.of(['p:b', 'p:a'])).toBe(first);
    expect(PermissionSet.of(['p:a', '', 'p:b', 'p:a'])).toBe(first);
    expect(PermissionSet.of(new Set(['p:a', 'p:b']))).toBe(first);
    expect(first.toArray()).toEqual(['p:a', 'p:b']);
  });

  it('never lets a name containing the key separator stand for several names, nor the reverse', () => {
    // The canonical key of ['q:read', 'q:admin'] is the sorted names joined by the separator.
    const split = PermissionSet.of(['q:read', 'q:admin']);
    const joined = PermissionSet.of(['q:admin\u0000q:read']);
    expect(joined).not.toBe(split);
    expect(joined.has('q:admin')).toBe(false);
    expect(PermissionSet.of(['q:admin\u0000q:read']).has('q:read')).toBe(false);
    expect(PermissionSet.of(['q:read', 'q:admin']).has('q:admin')).toBe(true);
  });

  it('does not let a non-string entry share the key of the string it prints as', () => {
    const strings = PermissionSet.of(['42']);
    const mixed = PermissionSet.of([42 as unknown as string]);
    expect(strings.has('42')).toBe(true);
    expect(mixed.has('42')).toBe(false);
    expect(mixed.size).toBe(0);
  });

  it('gives contexts with the same permissions the same set', () => {
    const one = createAuthContext({ sub: 'a', exp: 2_000_000_000, scope: 'x:1 x:2' });
    const two = createAuthContext({ sub: 'b', exp: 2_000_000_000, permissions: ['x:2', 'x:1'] });
    expect(one.permissions).toBe(two.permissions);
  });
});
