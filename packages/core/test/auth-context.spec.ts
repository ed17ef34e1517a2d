import { AuthForbiddenError, PermissionSet, authenticateToken, createAuthContext, createVerifier, defaultMapClaims, describeContext, isAuthError } from '../src/index.js';
import type { AuthContext, ClaimsMapper } from '../src/index.js';
import type { JWTPayload } from 'jose';
import { NOW_SEC, claims } from './support.js';

function invalidCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`;
  }
  return undefined;
}

describe('defaultMapClaims', () => {
  it('takes the subject from sub and carries sid and jti', () => {
    expect(defaultMapClaims(claims({ sid: 's1', jti: 't1' }))).toEqual({
      subject: 'alice',
      permissions: [],
      sessionId: 's1',
      tokenId: 't1',
    });
  });

  it('splits a space-separated scope string, ignoring repeated spaces', () => {
    expect(defaultMapClaims(claims({ scope: ' chat:read  chat:write ' })).permissions).toEqual(['chat:read', 'chat:write']);
  });

  it('reads scp as a string or an array', () => {
    expect(defaultMapClaims(claims({ scp: 'a b' })).permissions).toEqual(['a', 'b']);
    expect(defaultMapClaims(claims({ scp: ['a', 'b'] })).permissions).toEqual(['a', 'b']);
  });

  it('reads permissions as an array or a string', () => {
    expect(defaultMapClaims(claims({ permissions: ['chat:*'] })).permissions).toEqual(['chat:*']);
    expect(defaultMapClaims(claims({ permissions: 'x y' })).permissions).toEqual(['x', 'y']);
  });

  it('merges scope, scp and permissions', () => {
    const { permissions } = defaultMapClaims(claims({ scope: 'a b', scp: ['c'], permissions: ['d', 'a'] }));
    expect(new PermissionSet(permissions).toArray()).toEqual(['a', 'b', 'c', 'd']);
  });

  it.each([
    ['scope', 42],
    ['scope', { read: true }],
    ['scp', [1, 2]],
    ['permissions', ['ok', null]],
    ['permissions', true],
  ])('refuses a %s claim of the wrong type (%p) with AUTH_INVALID', (claim, value) => {
    expect(invalidCode(() => defaultMapClaims(claims({ [claim]: value })))).toBe('AUTH_INVALID');
  });

  it.each([
    ['sub', undefined],
    ['sub', ''],
    ['sub', 42],
    ['sid', ''],
    ['sid', 7],
    ['jti', ['x']],
  ])('refuses %s = %p with AUTH_INVALID', (claim, value) => {
    const payload: JWTPayload = { ...claims() };
    if (value === undefined) delete payload[claim];
    else payload[claim] = value;
    expect(invalidCode(() => defaultMapClaims(payload))).toBe('AUTH_INVALID');
  });
});

describe('createAuthContext', () => {
  it('builds a context from verified claims', () => {
    const context = createAuthContext(claims({ scope: 'chat:read', sid: 's1', jti: 't1' }));
    expect(context.subject).toBe('alice');
    expect(context.sessionId).toBe('s1');
    expect(context.tokenId).toBe('t1');
    expect(context.issuedAt).toBe(NOW_SEC * 1000);
    expect(context.expiresAt).toBe((NOW_SEC + 3600) * 1000);
    expect(context.version).toBe(1);
    expect(context.permissions.has('chat:read')).toBe(true);
    expect(context.claims.sub).toBe('alice');
  });

  it('omits optional fields the token does not have', () => {
    const { iat: _iat, ...noIat } = claims();
    const context = createAuthContext(noIat, 3);
    expect(context.version).toBe(3);
    expect('sessionId' in context).toBe(false);
    expect('tokenId' in context).toBe(false);
    expect('issuedAt' in context).toBe(false);
    expect('user' in context).toBe(false);
  });

  it('is frozen, with deeply frozen claims that are a copy of the input', () => {
    const input = claims({ profile: { roles: ['a'] } });
    const context = createAuthContext(input);
    expect(Object.isFrozen(context)).toBe(true);
    expect(Object.isFrozen(context.claims)).toBe(true);
    const profile = context.claims['profile'] as { roles: string[] };
    expect(Object.isFrozen(profile)).toBe(true);
    expect(Object.isFrozen(profile.roles)).toBe(true);
    expect(() => {
      (context as { subject: string }).subject = 'mallory';
    }).toThrow(TypeError);
    // structuredClone builds the copy in Node's own realm, so its TypeError is not jest's TypeError.
    expect(() => {
      profile.roles.push('admin');
    }).toThrow();
    // The caller's object is neither frozen nor shared.
    expect(Object.isFrozen(input)).toBe(false);
    (input['profile'] as { roles: string[] }).roles.push('admin');
    expect(profile.roles).toEqual(['a']);
  });

  it('refuses claims without a numeric exp', () => {
    const { exp: _exp, ...noExp } = claims();
    expect(invalidCode(() => createAuthContext(noExp))).toBe('AUTH_INVALID');
    expect(invalidCode(() => createAuthContext(claims({ exp: Number.NaN })))).toBe('AUTH_INVALID');
  });

  it('ignores a non-numeric iat rather than trusting it', () => {
    expect('issuedAt' in createAuthContext(claims({ iat: 'yesterday' as unknown as number }))).toBe(false);
  });

  it('uses a custom mapClaims, including an application user', () => {
    const user = { id: 7, name: 'Alice' };
    const mapClaims: ClaimsMapper<JWTPayload & { uid: string; roles: string[] }> = (c) => ({
      subject: c.uid,
      permissions: c.roles.map((r) => `role:${r}`),
      user,
    });
    const context = createAuthContext({ ...claims(), uid: 'u-7', roles: ['admin'] }, 1, mapClaims);
    expect(context.subject).toBe('u-7');
    expect(context.permissions.toArray()).toEqual(['role:admin']);
    expect(context.user).toBe(user);
  });

  it('grants no permissions when mapClaims returns none', () => {
    const context = createAuthContext(claims({ scope: 'chat:read' }), 1, () => ({ subject: 'alice' }));
    expect(context.permissions.size).toBe(0);
  });

  it('refuses a mapClaims result without a subject', () => {
    expect(invalidCode(() => createAuthContext(claims(), 1, () => ({ subject: '' })))).toBe('AUTH_INVALID');
    expect(invalidCode(() => createAuthContext(claims(), 1, () => undefined as never))).toBe('AUTH_INVALID');
  });

  it('lets mapClaims refuse with an AuthError of its choice', () => {
    const refuse = (): never => {
      throw new AuthForbiddenError('tenant disabled');
    };
    expect(invalidCode(() => createAuthContext(claims(), 1, refuse))).toBe('AUTH_FORBIDDEN');
  });
});

describe('describe (log-safe context summary)', () => {
  const context: AuthContext = createAuthContext(
    claims({ scope: 'b a', sid: 's1', jti: 't1', email: 'alice@example.test', secretClaim: 'do-not-log' }),
    2,
  );

  it('contains identity, permission names, expiry and version only', () => {
    expect(describeContext(context)).toEqual({
      subject: 'alice',
      sessionId: 's1',
      tokenId: 't1',
      permissions: ['a', 'b'],
      expiresAt: new Date((NOW_SEC + 3600) * 1000).toISOString(),
      version: 2,
    });
  });

  it('never contains claims', () => {
    const json = JSON.stringify(describeContext(context));
    expect(json).not.toContain('alice@example.test');
    expect(json).not.toContain('do-not-log');
    expect(json).not.toContain('claims');
  });

  it('omits session and token ids the context lacks', () => {
    const bare = describeContext(createAuthContext(claims()));
    expect(Object.keys(bare).sort()).toEqual(['expiresAt', 'permissions', 'subject', 'version']);
  });
});

describe('claims ownership', () => {
  it('copies the claims by default and freezes them in place when the caller hands them over', () => {
    const lent = { sub: 'alice', exp: 2_000_000_000, nested: { a: 1 } };
    const copied = createAuthContext(lent);
    expect(copied.claims).not.toBe(lent);
    expect(Object.isFrozen(lent)).toBe(false);

    const given = { sub: 'alice', exp: 2_000_000_000, nested: { a: 1 } };
    const owned = createAuthContext(given, 1, undefined, { ownClaims: true });
    expect(owned.claims).toBe(given);
    expect(Object.isFrozen(given) && Object.isFrozen(given.nested)).toBe(true);
  });

  it('never freezes the object a custom verify function returned', async () => {
    const returned = { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 };
    const verifier = createVerifier({ algorithms: ['HS256'], verify: () => returned });
    const context = await authenticateToken('opaque-token', { verifier });
    expect(context.subject).toBe('alice');
    expect(Object.isFrozen(returned)).toBe(false);
    expect(Object.isFrozen(context.claims)).toBe(true);
  });
});
