import fc from 'fast-check';
import {
  AuthRevokedError,
  ROOM_JOIN_ACTION,
  ROOM_LEFT_EVENT,
  ROOM_STAY_ACTION,
  compileRoomPolicies,
  createAuthContext,
  isAuthError,
  roomLeftPayload,
} from '../src/index.js';
import type { AuthContext, AuthError, AuthorizeHook, RoomPolicies, RoomPolicy, RoomPolicyOptions } from '../src/index.js';
import { claims, deferred, rejectionOf } from './support.js';

/** A context for `sub` with `permissions` and any other claims. */
function ctx(extra: Record<string, unknown> = {}, ...permissions: string[]): AuthContext {
  return createAuthContext(claims({ permissions, ...extra }));
}

const nobody = ctx();
const reader = ctx({}, 'chat:read');
const admin = ctx({}, 'chat:read', 'chat:admin');

/** The demo contract: every room needs chat:read; rooms starting with `staff-` also need chat:admin. */
const DEMO: RoomPolicies = { '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'] };

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const error = await rejectionOf(promise);
  if (!isAuthError(error)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error;
}

/** The TypeError thrown at compile time. */
function compileError(policies: unknown, options?: RoomPolicyOptions): TypeError {
  try {
    compileRoomPolicies(policies as RoomPolicies, options);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return error as TypeError;
  }
  throw new Error('expected compileRoomPolicies to throw');
}

function allowed(policy: RoomPolicy, context: AuthContext, rooms: readonly unknown[]): unknown[] {
  return rooms.filter((room) => policy.allows(context, room));
}

describe('compileRoomPolicies: a malformed policy throws TypeError at start-up naming the option and the key', () => {
  const malformedPatterns: [string, unknown][] = [
    ['', null],
    ['a*b', null],
    ['*a', null],
    ['a**', null],
    ['a:*:b', null],
    ['*:a', null],
    ['tenant:{tenant', null],
    ['tenant:{tenant:*', null],
    ['a:{}', null],
    ['a{b}', null],
    ['a:{b}c', null],
    ['{b}c', null],
    ['a:b}', null],
    ['a:{b{c}', null],
    ['a:{te nant}', null],
    ['a:{__proto__}', null],
    ['a:{constructor}', null],
    ['a:{prototype}', null],
    ['a::b', null],
    [':a', null],
    ['a:', null],
    [':', null],
    [' lobby', null],
    ['lobby ', null],
    ['lob\u200bby', null],
    ['lobby\u0000', null],
    ['lobby\u202e', null],
    ['x'.repeat(257), null],
    ['lobby', ''],
    ['lobby', [1]],
    ['lobby', ['']],
    ['lobby', { allOf: 'chat:read' }],
    ['lobby', undefined],
    ['lobby', true],
    ['lobby', 42],
  ];
  it.each(malformedPatterns)('%j: %j', (pattern, requirement) => {
    const error = compileError({ ok: null, [pattern]: requirement }, { option: 'chatRooms' });
    expect(error.message).toContain(`chatRooms[${JSON.stringify(pattern)}]`);
  });

  it.each([
    [{ 'user:{sub}': null, 'user:{uid}': 'chat:read' }, 'user:{uid}'],
    [{ '{tenant}:x': null, '{org}:x': null }, '{org}:x'],
    [{ 'a:{b}:*': null, 'a:{c}:*': null }, 'a:{c}:*'],
    [{ 'user:{a}': null, 'x:*': null, lobby: null, 'a:{b}': null, 'z*': null, 'user:{b}': null }, 'user:{b}'],
  ])('two patterns of the same shape are ambiguous: %j', (policies, second) => {
    expect(compileError(policies).message).toContain(`roomPolicies[${JSON.stringify(second)}]`);
  });

  it.each([null, undefined, [], 'lobby', 42, new Map([['lobby', null]]), new (class Rules {})()])(
    'the policies must be a plain object, not %p',
    (policies) => {
      expect(compileError(policies, { option: 'chatRooms' }).message).toContain('"chatRooms"');
    },
  );

  it('refuses symbol keys', () => {
    expect(compileError({ [Symbol('lobby')]: null }).message).toContain('"roomPolicies"');
  });

  it.each([
    [{ unlistedRoom: 'deny' }, 'unlistedRoom'],
    [{ unlistedRooms: 'allow' }, 'unlistedRooms'],
    [{ unlistedRooms: 'Deny' }, 'unlistedRooms'],
    [{ maxRoomNameLength: 0 }, 'maxRoomNameLength'],
    [{ maxRoomNameLength: 1.5 }, 'maxRoomNameLength'],
    [{ maxRoomNameLength: Infinity }, 'maxRoomNameLength'],
    [{ option: '' }, 'option'],
  ])('refuses the options %j', (options, name) => {
    expect(compileError({}, options as RoomPolicyOptions).message).toContain(name);
  });

  it('accepts every well-formed pattern kind, collision-resistant claim names and an empty policy', () => {
    expect(() =>
      compileRoomPolicies({
        lobby: null,
        'Café au lait': 'chat:read',
        '*': 'chat:read',
        'staff-*': ['chat:read', 'chat:admin'],
        'staff-archive': false,
        'tenant:{tenant}:*': { allOf: ['chat:read'], anyOf: ['chat:write', 'chat:admin'] },
        'org:{https://example.com/org}': null,
        'user:{sub}': null,
        'dm:{sub}:*': null,
        ['__proto__']: null,
      }),
    ).not.toThrow();
    expect(compileRoomPolicies({}).allows(admin, 'lobby')).toBe(false);
  });

  it('is immutable', () => {
    const policy = compileRoomPolicies(DEMO);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(policy.unlistedRooms).toBe('deny');
    expect(policy.maxRoomNameLength).toBe(256);
  });
});

describe('the demo contract: chat:read for every room, chat:admin as well for names starting with "staff-"', () => {
  const policy = compileRoomPolicies(DEMO);

  it('admits readers to ordinary rooms and admins to staff rooms; nobody without chat:read', () => {
    expect(policy.allows(reader, 'general')).toBe(true);
    expect(policy.allows(reader, 'staff-ops')).toBe(false);
    expect(policy.allows(admin, 'staff-ops')).toBe(true);
    expect(policy.allows(nobody, 'general')).toBe(false);
    expect(policy.allows(ctx({}, 'chat:admin'), 'staff-ops')).toBe(false);
  });

  it('treats exactly the names beginning with the five characters "staff-" as staff rooms', () => {
    const staff = ['staff-', 'staff-ops', 'staff-Ops', 'staff-a:b', 'staff--', 'staff-\u200b', 'staff- '];
    const notStaff = ['staff', 'Staff-ops', 'STAFF-ops', 'staff_ops', 'staff ops', 'staff\u2010ops', 'ｓtaff-ops',
      'staf-f', ' staff-ops', '\u200bstaff-ops', 'xstaff-ops', 'staffops', 'staff:ops'];
    expect(allowed(policy, reader, staff)).toEqual([]);
    expect(allowed(policy, admin, staff)).toEqual(staff);
    // Different names are different rooms: a reader in "Staff-ops" never receives what is sent to "staff-ops".
    expect(allowed(policy, reader, notStaff)).toEqual(notStaff);
  });
});

describe('precedence: the most specific rule covering a room decides, whatever the key order', () => {
  function both(policies: RoomPolicies): RoomPolicy[] {
    const reversed = Object.fromEntries(Object.entries(policies).reverse());
    return [compileRoomPolicies(policies), compileRoomPolicies(reversed)];
  }

  it('an exact name beats every pattern, and false closes it', () => {
    for (const policy of both({ '*': 'chat:read', lobby: null, 'staff-*': 'chat:admin', 'staff-archive': false })) {
      expect(policy.allows(nobody, 'lobby')).toBe(true);
      expect(policy.allows(nobody, 'general')).toBe(false);
      expect(policy.allows(admin, 'staff-ops')).toBe(true);
      expect(policy.allows(admin, 'staff-archive')).toBe(false);
    }
  });

  it('a binding beats a wildcard, and its condition is not bypassed by the broader rule', () => {
    for (const policy of both({ 'room:*': 'chat:read', 'room:{sub}': null })) {
      expect(policy.allows(nobody, 'room:alice')).toBe(true);
      // room:bob is covered by room:{sub} (more specific), which admits only bob: chat:read does not help.
      expect(policy.allows(reader, 'room:bob')).toBe(false);
      expect(policy.allows(reader, 'room:bob:x')).toBe(true);
      expect(policy.allows(reader, 'room')).toBe(true);
    }
  });

  it('a literal beats a binding at the first position where they differ', () => {
    for (const policy of both({ '{tenant}:lobby': null, 'ops:lobby': 'chat:admin' })) {
      const opsTenant = ctx({ tenant: 'ops' });
      expect(policy.allows(opsTenant, 'ops:lobby')).toBe(false);
      expect(policy.allows(ctx({ tenant: 'ops' }, 'chat:admin'), 'ops:lobby')).toBe(true);
      expect(policy.allows(ctx({ tenant: 'acme' }), 'acme:lobby')).toBe(true);
    }
  });

  it('the longer wildcard prefix wins', () => {
    for (const policy of both({ 'st*': null, 'staff-*': 'chat:admin', '*': 'chat:read' })) {
      expect(policy.allows(nobody, 'stage')).toBe(true);
      expect(policy.allows(nobody, 'staff')).toBe(true);
      expect(policy.allows(nobody, 'staff-ops')).toBe(false);
      expect(policy.allows(nobody, 'general')).toBe(false);
    }
  });

  it('a pattern without a wildcard beats one with; a bare "*" covers the name before it and everything below', () => {
    for (const policy of both({ 'tenant:{tenant}': null, 'tenant:{tenant}:*': 'chat:read' })) {
      const acme = ctx({ tenant: 'acme' });
      expect(policy.allows(acme, 'tenant:acme')).toBe(true);
      expect(policy.allows(acme, 'tenant:acme:general')).toBe(false);
      expect(policy.allows(ctx({ tenant: 'acme' }, 'chat:read'), 'tenant:acme:general:sub')).toBe(true);
    }
    const subtree = compileRoomPolicies({ 'tenant:{tenant}:*': 'chat:read' });
    const acmeReader = ctx({ tenant: 'acme' }, 'chat:read');
    expect(allowed(subtree, acmeReader, ['tenant:acme', 'tenant:acme:x', 'tenant:acme:x:y', 'tenant', 'tenant:acmex']))
      .toEqual(['tenant:acme', 'tenant:acme:x', 'tenant:acme:x:y']);
  });

  it('unlisted rooms are refused by default, admitted to any authenticated context with "authenticated"', async () => {
    const denying = compileRoomPolicies({ 'user:{sub}': null });
    expect(denying.allows(admin, 'general')).toBe(false);
    const error = await refusal(denying.check(admin, 'general'));
    expect([error.code, error.cause]).toEqual(['AUTH_FORBIDDEN', { name: 'RoomNotListed' }]);

    const open = compileRoomPolicies({ 'user:{sub}': null }, { unlistedRooms: 'authenticated' });
    expect(open.unlistedRooms).toBe('authenticated');
    expect(open.allows(nobody, 'general')).toBe(true);
    // A covered room stays under its rule: another user's room is not "unlisted".
    expect(open.allows(nobody, 'user:bob')).toBe(false);
  });
});

describe('exact matching: no case folding, normalisation, trimming or prototype lookups', () => {
  const policy = compileRoomPolicies({ lobby: null, 'café': null, 'staff-*': 'chat:admin' });

  it('admits only the exact name', () => {
    const tricks = ['Lobby', 'LOBBY', 'lobby ', ' lobby', '\tlobby', 'lobby\n', 'lobby\u200b', '\u200blobby',
      'lob\u00adby', 'lobby\u0000', 'lobby:x', 'x:lobby', 'lobb', 'lobbyx', 'ｌobby', 'lobby\ufeff'];
    expect(allowed(policy, nobody, ['lobby', ...tricks])).toEqual(['lobby']);
  });

  it('does not normalise Unicode: NFC and NFD spellings are different rooms', () => {
    expect(policy.allows(nobody, 'café'.normalize('NFC'))).toBe(true);
    expect(policy.allows(nobody, 'café'.normalize('NFD'))).toBe(false);
    const decomposed = compileRoomPolicies({ [`${'café'.normalize('NFD')}`]: null });
    expect(decomposed.allows(nobody, 'café'.normalize('NFC'))).toBe(false);
  });

  it('never finds rules or claims on Object.prototype', () => {
    const empty = compileRoomPolicies({ 'x:{toString}': null });
    expect(allowed(empty, admin, ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])).toEqual([]);
    expect(empty.allows(admin, 'x:function toString() { [native code] }')).toBe(false);
    expect(empty.allows(admin, 'x:[object Object]')).toBe(false);
    const proto = compileRoomPolicies({ ['__proto__']: null });
    expect(allowed(proto, nobody, ['__proto__', 'constructor', 'prototype'])).toEqual(['__proto__']);
  });

  it('refuses names that are not strings, empty, too long or with an empty segment, whatever the rules', async () => {
    const everything = compileRoomPolicies({ '*': null });
    const invalid = [undefined, null, 42, {}, ['lobby'], new String('lobby'), Symbol('lobby'), '', 'x'.repeat(257),
      'a::b', ':a', 'a:', ':', '::'];
    expect(allowed(everything, admin, invalid)).toEqual([]);
    expect(everything.allows(admin, 'x'.repeat(256))).toBe(true);
    expect(everything.allows(admin, 'a:b:c')).toBe(true);
    for (const room of invalid) {
      const error = await refusal(everything.check(admin, room));
      expect([error.code, error.cause]).toEqual(['AUTH_FORBIDDEN', { name: 'RoomNameInvalid' }]);
    }
    const short = compileRoomPolicies({ '*': null }, { maxRoomNameLength: 8 });
    expect(short.allows(admin, '12345678')).toBe(true);
    expect(short.allows(admin, '123456789')).toBe(false);
    expect(compileError({ '123456789': null }, { maxRoomNameLength: 8 }).message).toContain('"123456789"');
  });
});

describe('segments bound to claims', () => {
  const policy = compileRoomPolicies({ 'user:{sub}': null, 'tenant:{tenant}:*': 'chat:read', 'n:{n}': null });

  it('user:{sub} admits only the subject', async () => {
    const alice = ctx();
    expect(allowed(policy, alice, ['user:alice', 'user:bob', 'user:Alice', 'user:alice ', 'user:alice:x', 'user:',
      'user:alic', 'user:alicex', 'user']))
      .toEqual(['user:alice']);
    const error = await refusal(policy.check(alice, 'user:bob'));
    expect([error.code, error.cause]).toEqual(['AUTH_FORBIDDEN', { name: 'RoomNotBound' }]);
  });

  it('binds {sub} to the context subject, as mapped', () => {
    const mapped = createAuthContext(claims({ sub: 'alice', uid: 'u-1' }), 1, (c) => ({ subject: String(c['uid']) }));
    expect(policy.allows(mapped, 'user:u-1')).toBe(true);
    expect(policy.allows(mapped, 'user:alice')).toBe(false);
  });

  it("a tenant's rooms admit only that tenant's users", () => {
    const acme = ctx({ tenant: 'acme' }, 'chat:read');
    expect(allowed(policy, acme, ['tenant:acme', 'tenant:acme:general', 'tenant:acme:a:b', 'tenant:acmex:general',
      'tenant:ACME:general', 'tenant:other:general', 'tenant:acm:general', 'tenant::acme']))
      .toEqual(['tenant:acme', 'tenant:acme:general', 'tenant:acme:a:b']);
    // The binding admits, the requirement must still hold.
    expect(policy.allows(ctx({ tenant: 'acme' }), 'tenant:acme:general')).toBe(false);
  });

  it('a claim value containing the separator never matches (no separator injection)', () => {
    const injected = ctx({ tenant: 'a:b' }, 'chat:read');
    expect(allowed(policy, injected, ['tenant:a:b', 'tenant:a:b:general', 'tenant:a', 'tenant:a:general'])).toEqual([]);
    // tenant:a:b:general is tenant a's room: only a's users may enter it.
    expect(policy.allows(ctx({ tenant: 'a' }, 'chat:read'), 'tenant:a:b:general')).toBe(true);
    expect(policy.allows(ctx({ sub: 'alice:x' }), 'user:alice:x')).toBe(false);
  });

  it('binds non-empty strings and safe integers (in decimal) only', () => {
    const n = (value: unknown): string[] =>
      allowed(policy, ctx({ n: value }), ['n:42', 'n:042', 'n:42.0', 'n:4.2e1', 'n:+42', 'n:-1', 'n:4.5', 'n:true',
        'n:acme', 'n:1e+21', 'n:1000000000000000000000', 'n:9007199254740992', 'n:null']) as string[];
    expect(n(42)).toEqual(['n:42']);
    expect(n('42')).toEqual(['n:42']);
    expect(n('042')).toEqual(['n:042']);
    expect(n(-1)).toEqual(['n:-1']);
    for (const value of [4.5, 1e21, 2 ** 53, NaN, Infinity, true, null, ['acme'], { value: 'acme' }, '']) {
      expect(n(value)).toEqual([]);
    }
    expect(n(undefined)).toEqual([]);
  });

  it('reads only own claims: a claim named like an Object.prototype member is absent unless the token has it', () => {
    const own = compileRoomPolicies({ 'x:{toString}': null, 'y:{hasOwnProperty}': null });
    expect(own.allows(nobody, 'x:[object Object]')).toBe(false);
    expect(own.allows(ctx({ toString: 'acme' }), 'x:acme')).toBe(true);
    expect(own.allows(ctx({ hasOwnProperty: 'acme' }), 'y:acme')).toBe(true);
  });

  it('ignores a polluted Object.prototype: an inherited claim binds nothing', () => {
    const context = ctx({}, 'chat:read');
    // The claims' own prototype (structuredClone may build them in another realm than this test's Object).
    const prototype = Object.getPrototypeOf(context.claims) as Record<string, unknown>;
    prototype['tenant'] = 'acme';
    try {
      expect(policy.allows(context, 'tenant:acme:general')).toBe(false);
    } finally {
      delete prototype['tenant'];
    }
  });
});

describe('check(): the static part, then the live authorize hook through authorizeAction', () => {
  const policy = compileRoomPolicies(DEMO);

  it('resolves when allowed and rejects AUTH_FORBIDDEN otherwise, without asking the hook', async () => {
    const hook = jest.fn<boolean, Parameters<AuthorizeHook>>(() => true);
    await expect(policy.check(admin, 'staff-ops', hook)).resolves.toBeUndefined();
    expect(hook).toHaveBeenCalledWith(admin, ROOM_JOIN_ACTION, [{ room: 'staff-ops' }]);
    hook.mockClear();
    expect((await refusal(policy.check(reader, 'staff-ops', hook))).code).toBe('AUTH_FORBIDDEN');
    expect(hook).not.toHaveBeenCalled();
    await expect(policy.check(reader, 'general')).resolves.toBeUndefined();
  });

  it('maps the hook: false → AUTH_FORBIDDEN, an AuthError → its code, anything else → AUTH_UNAVAILABLE', async () => {
    expect((await refusal(policy.check(reader, 'general', () => false))).code).toBe('AUTH_FORBIDDEN');
    expect((await refusal(policy.check(reader, 'general', async () => 'yes' as never))).code).toBe('AUTH_FORBIDDEN');
    const revoked = (): boolean => {
      throw new AuthRevokedError();
    };
    expect((await refusal(policy.check(reader, 'general', revoked))).code).toBe('AUTH_REVOKED');
    const broken = async (): Promise<boolean> => {
      throw new Error('db down');
    };
    expect((await refusal(policy.check(reader, 'general', broken))).code).toBe('AUTH_UNAVAILABLE');
  });

  it('never throws synchronously, whatever the room', () => {
    const result = policy.check(reader, { toString: () => 'general' });
    expect(result).toBeInstanceOf(Promise);
    return expect(result).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
  });
});

describe('reevaluate(): the rooms a changed context must leave now', () => {
  const policy = compileRoomPolicies({ ...DEMO, lobby: null });

  it('returns the rooms no longer allowed, in the order given, and keeps the others', async () => {
    const leaves = await policy.reevaluate(reader, new Set(['general', 'staff-ops', 'lobby', 'staff-b']));
    expect(leaves.map(({ room, error }) => [room, error.code])).toEqual([
      ['staff-ops', 'AUTH_FORBIDDEN'],
      ['staff-b', 'AUTH_FORBIDDEN'],
    ]);
    expect(await policy.reevaluate(nobody, ['general', 'lobby'])).toHaveLength(1);
    expect(await policy.reevaluate(admin, [])).toEqual([]);
  });

  it('asks the hook for every remaining room at once with the stay action, and fails closed', async () => {
    const pending = new Map<string, ReturnType<typeof deferred<boolean>>>();
    const hook: AuthorizeHook = (_context, action, args) => {
      expect(action).toBe(ROOM_STAY_ACTION);
      const { room } = args[0] as { room: string };
      const d = deferred<boolean>();
      pending.set(room, d);
      return d.promise;
    };
    const result = policy.reevaluate(reader, ['general', 'staff-ops', 'lobby', 'random'], hook);
    await new Promise(setImmediate);
    expect([...pending.keys()]).toEqual(['general', 'lobby', 'random']);
    pending.get('random')!.resolve(true);
    pending.get('lobby')!.reject(new Error('db down'));
    pending.get('general')!.resolve(false);
    const leaves = await result;
    expect(leaves.map(({ room, error }) => [room, error.code, error.action])).toEqual([
      ['general', 'AUTH_FORBIDDEN', 'none'],
      ['staff-ops', 'AUTH_FORBIDDEN', 'none'],
      ['lobby', 'AUTH_UNAVAILABLE', 'retry'],
    ]);
  });

  it('gives each leave as the auth:room-left payload { room, code, action }', async () => {
    const [leave] = await policy.reevaluate(reader, ['staff-ops']);
    expect(ROOM_LEFT_EVENT).toBe('auth:room-left');
    expect(roomLeftPayload(leave!.room, leave!.error)).toEqual({ room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' });
  });
});

describe('allows() agrees with a naive reference matcher (property)', () => {
  type Requirement = null | string | string[] | false;

  /** Split-based reference: what a room name means under one pattern, for one context. */
  function referenceMatch(pattern: string, parts: string[], context: AuthContext): 'no' | 'yes' | 'unbound' {
    const tokens = pattern.split(':');
    let unbound = false;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (i === tokens.length - 1 && token.endsWith('*')) {
        const prefix = token.slice(0, -1);
        if (prefix === '' && i > 0) return parts.length >= i ? (unbound ? 'unbound' : 'yes') : 'no';
        if (parts.length <= i || !parts.slice(i).join(':').startsWith(prefix)) return 'no';
        return unbound ? 'unbound' : 'yes';
      }
      if (i >= parts.length) return 'no';
      if (token.startsWith('{')) {
        const name = token.slice(1, -1);
        const value = name === 'sub' ? context.subject : Object.hasOwn(context.claims, name) ? context.claims[name] : undefined;
        const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
        if (text !== parts[i]) unbound = true;
      } else if (token !== parts[i]) {
        return 'no';
      }
    }
    return parts.length === tokens.length ? (unbound ? 'unbound' : 'yes') : 'no';
  }

  /** Specificity as a sort key: per position, ended 0, literal 1000, binding 2000, wildcard 3000 − prefix length. */
  function specificity(pattern: string): number[] {
    return pattern.split(':').map((token, i, all) => {
      if (i === all.length - 1 && token.endsWith('*')) return 3000 - (token.length - 1);
      return token.startsWith('{') ? 2000 : 1000;
    });
  }

  function compareKeys(a: number[], b: number[]): number {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = (a[i] ?? 0) - (b[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  }

  function referenceAllows(policies: Record<string, Requirement>, unlisted: 'deny' | 'authenticated', context: AuthContext, room: string): boolean {
    if (room.length === 0 || room.length > 256) return false;
    const parts = room.split(':');
    if (parts.includes('')) return false;
    const covering = Object.keys(policies)
      .map((pattern) => ({ pattern, result: referenceMatch(pattern, parts, context) }))
      .filter(({ result }) => result !== 'no')
      .sort((a, b) => compareKeys(specificity(a.pattern), specificity(b.pattern)));
    const best = covering[0];
    if (best === undefined) return unlisted === 'authenticated';
    const requirement = policies[best.pattern]!;
    if (requirement === false || best.result === 'unbound') return false;
    const needed = requirement === null ? [] : typeof requirement === 'string' ? [requirement] : requirement;
    return needed.every((permission) => context.permissions.has(permission));
  }

  const piece = fc.constantFrom('a', 'b', 'A', 'acme', 'alice', '42', 'staff-', 'staff-x', 'st', 'é', 'e\u0301', 'a\u200b', ' a', '');
  const room = fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(':'));
  const literal = fc.constantFrom('a', 'b', 'acme', 'alice', 'staff-x', 'é', '42');
  const binding = fc.constantFrom('{sub}', '{tenant}', '{n}');
  const wildcard = fc.constantFrom('*', 'staff-*', 'a*', 'st*', 'e*');
  const pattern = fc
    .tuple(fc.array(fc.oneof(literal, binding), { minLength: 0, maxLength: 3 }), fc.option(wildcard))
    .filter(([segments, tail]) => segments.length > 0 || tail !== null)
    .map(([segments, tail]) => [...segments, ...(tail === null ? [] : [tail])].join(':'));
  const requirement = fc.constantFrom<Requirement>(null, 'p', ['p', 'q'], false);
  const context = fc
    .record({
      sub: fc.constantFrom('alice', 'a', 'acme', 'a:b'),
      tenant: fc.constantFrom<unknown>('acme', 'a', 'a:b', 42, '42', '', undefined, 4.5),
      n: fc.constantFrom<unknown>(42, '042', 2 ** 53, 'é'),
      permissions: fc.subarray(['p', 'q']),
    })
    .map(({ permissions, ...rest }) => ctx(rest, ...permissions));

  it('for random policies, contexts and room names', () => {
    fc.assert(
      fc.property(
        fc.dictionary(pattern, requirement, { minKeys: 1, maxKeys: 5 }),
        fc.constantFrom<'deny' | 'authenticated'>('deny', 'authenticated'),
        context,
        fc.array(room, { minLength: 1, maxLength: 8 }),
        (policies, unlistedRooms, context, rooms) => {
          let policy: RoomPolicy;
          try {
            policy = compileRoomPolicies(policies, { unlistedRooms });
          } catch (error) {
            // Only ambiguity (two patterns of one shape) is refused among these well-formed patterns.
            expect(error).toBeInstanceOf(TypeError);
            expect((error as Error).message).toContain('same shape');
            return;
          }
          for (const name of rooms) {
            expect([name, policy.allows(context, name)]).toEqual([name, referenceAllows(policies, unlistedRooms, context, name)]);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
