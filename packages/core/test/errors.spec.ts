import {
  AUTH_ACTIONS,
  AUTH_ERROR_CODES,
  AuthError,
  AuthExpiredError,
  AuthForbiddenError,
  AuthIdentityMismatchError,
  AuthInvalidError,
  AuthMissingError,
  AuthNotYetValidError,
  AuthRevokedError,
  AuthStaleError,
  AuthUnavailableError,
  authErrorFromPayload,
  createAuthError,
  isAuthError,
  isAuthErrorCode,
} from '../src/index.js';
import type { AuthAction, AuthErrorCode } from '../src/index.js';

const TABLE: ReadonlyArray<[AuthErrorCode, AuthAction, abstract new (...args: never[]) => AuthError]> = [
  ['AUTH_MISSING', 'login', AuthMissingError],
  ['AUTH_INVALID', 'login', AuthInvalidError],
  ['AUTH_EXPIRED', 'refresh', AuthExpiredError],
  ['AUTH_NOT_YET_VALID', 'retry', AuthNotYetValidError],
  ['AUTH_REVOKED', 'login', AuthRevokedError],
  ['AUTH_IDENTITY_MISMATCH', 'login', AuthIdentityMismatchError],
  ['AUTH_STALE', 'refresh', AuthStaleError],
  ['AUTH_FORBIDDEN', 'none', AuthForbiddenError],
  ['AUTH_UNAVAILABLE', 'retry', AuthUnavailableError],
];

describe('error taxonomy', () => {
  it('lists exactly the nine codes of the design, in taxonomy order', () => {
    expect(AUTH_ERROR_CODES).toEqual(TABLE.map(([code]) => code));
    expect(Object.isFrozen(AUTH_ERROR_CODES)).toBe(true);
  });

  it('maps every code to the client action of the design table', () => {
    expect(AUTH_ACTIONS).toEqual(Object.fromEntries(TABLE.map(([code, action]) => [code, action])));
    expect(Object.isFrozen(AUTH_ACTIONS)).toBe(true);
  });

  it.each(TABLE)('builds %s with action %s from its own class', (code, action, Class) => {
    const error = createAuthError(code);
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect((Class as unknown as { code: string }).code).toBe(code);
    expect(error.action).toBe(action);
    expect(error.name).toBe(Class.name);
    expect(error.message.length).toBeGreaterThan(0);
    expect(isAuthError(error)).toBe(true);
  });

  it('keeps a custom message and gives every class a distinct default one', () => {
    expect(new AuthForbiddenError('chat:admin required').message).toBe('chat:admin required');
    const defaults = new Set(TABLE.map(([code]) => createAuthError(code).message));
    expect(defaults.size).toBe(TABLE.length);
  });

  it('serialises to exactly { code, action, message }', () => {
    const error = new AuthExpiredError(undefined, { cause: { name: 'JWTExpired', code: 'ERR_JWT_EXPIRED', claim: 'exp' } });
    expect(error.toJSON()).toEqual({ code: 'AUTH_EXPIRED', action: 'refresh', message: error.message });
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'AUTH_EXPIRED', action: 'refresh', message: error.message });
  });

  it('keeps a frozen, non-enumerable copy of the cause', () => {
    const cause = { name: 'JWTClaimValidationFailed', code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' };
    const error = new AuthInvalidError(undefined, { cause });
    expect(error.cause).toEqual(cause);
    expect(error.cause).not.toBe(cause);
    expect(Object.isFrozen(error.cause)).toBe(true);
    expect(Object.getOwnPropertyDescriptor(error, 'cause')?.enumerable).toBe(false);
    expect(Object.keys(error)).not.toContain('cause');
  });

  it('has no cause when none was given', () => {
    expect(new AuthInvalidError().cause).toBeUndefined();
    expect('cause' in new AuthInvalidError()).toBe(false);
  });

  it('lets callers narrow on code with a switch', () => {
    const describeAction = (error: AuthError): string => {
      switch (error.code) {
        case 'AUTH_EXPIRED':
        case 'AUTH_STALE':
          return 'refresh';
        case 'AUTH_FORBIDDEN':
          return 'stay';
        default:
          return 'other';
      }
    };
    expect(describeAction(new AuthStaleError())).toBe('refresh');
    expect(describeAction(new AuthForbiddenError())).toBe('stay');
    expect(describeAction(new AuthRevokedError())).toBe('other');
  });
});

describe('isAuthError', () => {
  it('refuses plain errors, look-alikes and non-objects', () => {
    expect(isAuthError(new Error('AUTH_INVALID'))).toBe(false);
    expect(isAuthError({ code: 'AUTH_INVALID', action: 'login', message: 'x' })).toBe(false);
    expect(isAuthError(null)).toBe(false);
    expect(isAuthError(undefined)).toBe(false);
    expect(isAuthError('AUTH_INVALID')).toBe(false);
    expect(isAuthError(42)).toBe(false);
  });

  it('recognises errors from another copy of the module through the shared brand', async () => {
    let copy: typeof import('../src/errors.js') | undefined;
    await jest.isolateModulesAsync(async () => {
      copy = await import('../src/errors.js');
    });
    expect(copy).toBeDefined();
    const foreign = new copy!.AuthRevokedError();
    // A second copy has its own classes, so instanceof fails across copies ...
    expect(foreign).not.toBeInstanceOf(AuthRevokedError);
    expect(foreign).not.toBeInstanceOf(AuthError);
    // ... but the brand is shared through the global symbol registry, both ways.
    expect(isAuthError(foreign)).toBe(true);
    expect(copy!.isAuthError(new AuthRevokedError())).toBe(true);
    expect(foreign.code).toBe('AUTH_REVOKED');
    expect(foreign.action).toBe('login');
  });

  it('does not expose the brand as an enumerable property', () => {
    const error = new AuthInvalidError();
    expect(Object.keys(error)).toEqual(['code']);
  });
});

describe('isAuthErrorCode', () => {
  it('accepts every code and refuses anything else', () => {
    for (const code of AUTH_ERROR_CODES) expect(isAuthErrorCode(code)).toBe(true);
    expect(isAuthErrorCode('AUTH_NOPE')).toBe(false);
    expect(isAuthErrorCode('toString')).toBe(false);
    expect(isAuthErrorCode('__proto__')).toBe(false);
    expect(isAuthErrorCode(undefined)).toBe(false);
    expect(isAuthErrorCode(1)).toBe(false);
  });
});

describe('createAuthError', () => {
  it('passes the message and a sanitised cause through', () => {
    const error = createAuthError('AUTH_UNAVAILABLE', 'store down', { cause: { name: 'RedisError' } });
    expect(error).toBeInstanceOf(AuthUnavailableError);
    expect(error.message).toBe('store down');
    expect(error.cause).toEqual({ name: 'RedisError' });
  });
});

describe('authErrorFromPayload', () => {
  it('rebuilds an error from its wire payload', () => {
    const original = new AuthForbiddenError('not in this room');
    const rebuilt = authErrorFromPayload(JSON.parse(JSON.stringify(original)));
    expect(rebuilt).toBeInstanceOf(AuthForbiddenError);
    expect(rebuilt?.code).toBe('AUTH_FORBIDDEN');
    expect(rebuilt?.action).toBe('none');
    expect(rebuilt?.message).toBe('not in this room');
  });

  it('derives the action from the code, ignoring an action claimed by the payload', () => {
    const rebuilt = authErrorFromPayload({ code: 'AUTH_EXPIRED', action: 'none', message: 'm' });
    expect(rebuilt?.action).toBe('refresh');
  });

  it('falls back to the default message when the payload has none', () => {
    const rebuilt = authErrorFromPayload({ code: 'AUTH_STALE', message: 42 });
    expect(rebuilt?.code).toBe('AUTH_STALE');
    expect(rebuilt?.message).toBe(new AuthStaleError().message);
  });

  it.each([null, undefined, 'AUTH_INVALID', 7, {}, { code: 'NOPE' }, { code: 42 }, new Error('x')])(
    'returns undefined for a payload that is not ours (%p)',
    (payload) => {
      expect(authErrorFromPayload(payload)).toBeUndefined();
    },
  );
});
