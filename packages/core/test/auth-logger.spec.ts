import { AuthExpiredError, AuthForbiddenError, AuthInvalidError, AuthUnavailableError, createAuthError } from '@sockauth/core';
import { causeOf, failureLevel, validateLogger } from '../src/auth-logger.js';
import { EventRateLimiter } from '../src/event-rate-limit.js';

describe('logging', () => {
  test('levels: infrastructure failures are errors, handshake attacks warnings, ordinary life info, events debug', () => {
    const rateLimited = new AuthUnavailableError('slow down', { cause: { name: 'RateLimited' } });
    expect(failureLevel(new AuthUnavailableError(), 'handshake')).toBe('error');
    expect(failureLevel(new AuthUnavailableError(), 'event')).toBe('error');
    expect(failureLevel(rateLimited, 'reauth')).toBe('warn');
    expect(failureLevel(rateLimited, 'event')).toBe('debug');
    for (const code of ['AUTH_INVALID', 'AUTH_REVOKED', 'AUTH_IDENTITY_MISMATCH', 'AUTH_STALE'] as const) {
      expect(failureLevel(createAuthError(code), 'handshake')).toBe('warn');
      expect(failureLevel(createAuthError(code), 'event')).toBe('debug');
    }
    for (const code of ['AUTH_MISSING', 'AUTH_EXPIRED', 'AUTH_NOT_YET_VALID'] as const) {
      expect(failureLevel(createAuthError(code), 'recovery')).toBe('info');
    }
    expect(failureLevel(new AuthForbiddenError(), 'event')).toBe('debug');
  });

  test('causes are copied field by field and bounded', () => {
    expect(causeOf(new AuthExpiredError())).toBeUndefined();
    const error = new AuthInvalidError('x', { cause: { name: 'N'.repeat(500), code: 'ERR_X', claim: 'iss' } });
    const cause = causeOf(error)!;
    expect(Object.keys(cause)).toEqual(['name', 'code', 'claim']);
    expect(cause.name.length).toBeLessThanOrEqual(65);
  });

  test('the logger option must be pino-compatible; console is', () => {
    expect(validateLogger(undefined)).toBeUndefined();
    expect(validateLogger(console)).toBe(console);
    expect(() => validateLogger({ info: () => undefined })).toThrow(TypeError);
    expect(() => validateLogger('pino')).toThrow(TypeError);
    expect(() => new EventRateLimiter({ perSecond: 0 }, Date.now)).toThrow(TypeError);
  });
});
