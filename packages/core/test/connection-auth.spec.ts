import type { JWTPayload } from 'jose';
import {
  AuthForbiddenError,
  ConnectionAuth,
  MemoryRevocationStore,
  authenticateToken,
  createAuthContext,
  createVerifier,
  isAuthError,
} from '../src/index.js';
import { MAX_TIMER_DELAY_MS } from '../src/deadline-scheduler.js';
import type {
  AuthContext,
  AuthErrorCode,
  ConnectionAuthEvents,
  ConnectionAuthOptions,
  RevocationStore,
  Verifier,
} from '../src/index.js';
import { NOW_MS, NOW_SEC, SECRET, claims, deferred, rejectionOf, sign, type Deferred } from './support.js';

const SEC = 1000;
const DAY = 86_400 * SEC;
const TOLERANCE_SEC = 5;
const WARN_SEC = 30;

/**
 * Tokens for the custom verifier: opaque ids mapped to claims, or to a deferred for controlling when
 * verification completes. Real signed tokens are used where signing matters (handshake with jose).
 */
let issued: Map<string, JWTPayload | Deferred<JWTPayload>>;
let counter: number;

function token(payload: JWTPayload): string {
  const id = `token-${++counter}`;
  issued.set(id, payload);
  return id;
}

function slowToken(): { token: string; verified: Deferred<JWTPayload> } {
  const id = `slow-token-${++counter}`;
  const verified = deferred<JWTPayload>();
  issued.set(id, verified);
  return { token: id, verified };
}

function testVerifier(): Verifier {
  return createVerifier({
    algorithms: ['HS256'],
    verify: (t) => {
      const entry = issued.get(t);
      if (entry === undefined) throw Object.assign(new Error('unknown token'), { name: 'JsonWebTokenError' });
      return entry instanceof Object && 'promise' in entry ? (entry as Deferred<JWTPayload>).promise : (entry as JWTPayload);
    },
    clockToleranceSec: TOLERANCE_SEC,
    now: () => Date.now(),
  });
}

function options(extra: Partial<ConnectionAuthOptions> = {}): ConnectionAuthOptions {
  return { verifier: testVerifier(), warnBeforeSec: WARN_SEC, ...extra };
}

/** Claims relative to the current fake time. */
function fresh(extra: JWTPayload = {}): JWTPayload {
  return claims(extra, Math.floor(Date.now() / 1000));
}

interface Recorder {
  readonly events: Required<ConnectionAuthEvents>;
  readonly expiring: jest.Mock;
  readonly grace: jest.Mock;
  readonly expired: jest.Mock;
  readonly reauthenticated: jest.Mock;
}

function recorder(): Recorder {
  const expiring = jest.fn();
  const grace = jest.fn();
  const expired = jest.fn();
  const reauthenticated = jest.fn();
  return {
    expiring,
    grace,
    expired,
    reauthenticated,
    events: { onExpiring: expiring, onGrace: grace, onExpired: expired, onReauthenticated: reauthenticated },
  };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode> {
  const error = await rejectionOf(promise);
  if (!isAuthError(error)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error.code;
}

function syncCodeOf(fn: () => unknown): AuthErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    if (!isAuthError(error)) throw error;
    return error.code;
  }
  return undefined;
}

/** Authenticates and starts a connection whose token expires `ttlSec` from now. */
async function started(
  ttlSec = 3600,
  opts: ConnectionAuthOptions = options(),
  extra: JWTPayload = {},
): Promise<{ auth: ConnectionAuth; rec: Recorder; exp: number }> {
  const rec = recorder();
  const nowSec = Math.floor(Date.now() / 1000);
  const exp = nowSec + ttlSec;
  const auth = await ConnectionAuth.authenticate(token(claims({ exp, ...extra }, nowSec)), opts, rec.events);
  auth.start();
  return { auth, rec, exp: exp * SEC };
}

beforeEach(() => {
  issued = new Map();
  counter = 0;
  jest.useFakeTimers({ now: NOW_MS });
});

afterEach(() => {
  jest.clearAllTimers();
  jest.useRealTimers();
});

describe('ConnectionAuth.authenticate', () => {
  it('authenticates a real HS256 token into a pending connection with version 1', async () => {
    const verifier = createVerifier({ algorithms: ['HS256'], secret: SECRET, now: () => Date.now() });
    const jwt = await sign(claims({ scope: 'chat:read', sid: 's1', jti: 'j1' }));
    const auth = await ConnectionAuth.authenticate(jwt, { verifier });
    expect(auth.state).toBe('pending');
    const context = auth.current();
    expect(context.subject).toBe('alice');
    expect(context.version).toBe(1);
    expect(context.sessionId).toBe('s1');
    expect(context.permissions.has('chat:read')).toBe(true);
    expect(auth.deadline).toBe((NOW_SEC + 3600 + 5) * SEC);
    expect(jest.getTimerCount()).toBe(0);
    auth.start();
    expect(auth.state).toBe('active');
    expect(jest.getTimerCount()).toBe(1);
    auth.close();
  });

  it('refuses a missing, invalid or expired token with its code', async () => {
    expect(await codeOf(ConnectionAuth.authenticate(undefined, options()))).toBe('AUTH_MISSING');
    expect(await codeOf(ConnectionAuth.authenticate('forged', options()))).toBe('AUTH_INVALID');
    expect(await codeOf(ConnectionAuth.authenticate(token(fresh({ exp: NOW_SEC - 60 })), options()))).toBe('AUTH_EXPIRED');
  });

  it('refuses a revoked token with AUTH_REVOKED', async () => {
    const store = new MemoryRevocationStore({ now: () => Date.now() });
    await store.revokeToken('j1', NOW_MS + DAY);
    expect(await codeOf(ConnectionAuth.authenticate(token(fresh({ jti: 'j1' })), options({ revocationStore: store })))).toBe(
      'AUTH_REVOKED',
    );
  });

  it('fails closed with AUTH_UNAVAILABLE when the revocation store throws', async () => {
    const store = { isRevoked: () => Promise.reject(new Error('ECONNREFUSED redis')) } as unknown as RevocationStore;
    expect(await codeOf(ConnectionAuth.authenticate(token(fresh()), options({ revocationStore: store })))).toBe(
      'AUTH_UNAVAILABLE',
    );
  });

  it('passes an AuthError thrown by the revocation store through', async () => {
    const store = { isRevoked: () => Promise.reject(new AuthForbiddenError()) } as unknown as RevocationStore;
    expect(await codeOf(ConnectionAuth.authenticate(token(fresh()), options({ revocationStore: store })))).toBe(
      'AUTH_FORBIDDEN',
    );
  });

  it("looks an in-memory store up synchronously only through its own isRevoked: a replaced one (subclass, spy) is asked and awaited", async () => {
    class DenyingStore extends MemoryRevocationStore {
      override async isRevoked(): Promise<boolean> {
        return true;
      }
    }
    expect(await codeOf(ConnectionAuth.authenticate(token(fresh()), options({ revocationStore: new DenyingStore() })))).toBe('AUTH_REVOKED');
    const spied = new MemoryRevocationStore();
    const lookup = jest.spyOn(spied, 'isRevoked').mockRejectedValue(new Error('ECONNREFUSED'));
    expect(await codeOf(ConnectionAuth.authenticate(token(fresh()), options({ revocationStore: spied })))).toBe('AUTH_UNAVAILABLE');
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('fails closed with AUTH_UNAVAILABLE when an in-memory store\'s synchronous lookup throws', async () => {
    class BrokenStore extends MemoryRevocationStore {
      override isRevokedNow(): boolean {
        throw new Error('broken');
      }
    }
    expect(await codeOf(ConnectionAuth.authenticate(token(fresh()), options({ revocationStore: new BrokenStore() })))).toBe('AUTH_UNAVAILABLE');
  });

  it('uses mapClaims, and refuses with AUTH_INVALID when it throws something other than an AuthError', async () => {
    const mapped = await ConnectionAuth.authenticate(
      token(fresh({ uid: 'u1' })),
      options({ mapClaims: (c) => ({ subject: String(c['uid']), permissions: ['x'] }) }),
    );
    expect(mapped.current().subject).toBe('u1');
    const broken = options({
      mapClaims: () => {
        throw new Error('bug in mapper');
      },
    });
    expect(await codeOf(ConnectionAuth.authenticate(token(fresh()), broken))).toBe('AUTH_INVALID');
    const refusing = options({
      mapClaims: () => {
        throw new AuthForbiddenError('tenant disabled');
      },
    });
    expect(await codeOf(ConnectionAuth.authenticate(token(fresh()), refusing))).toBe('AUTH_FORBIDDEN');
  });

  it('builds a context of the requested version with authenticateToken', async () => {
    const context = await authenticateToken(token(fresh()), options(), 7);
    expect(context.version).toBe(7);
  });
});

describe('options validation', () => {
  it.each<[string, unknown]>([
    ['no options', undefined],
    ['no verifier', {}],
    ['a verifier without verify', { verifier: {} }],
  ])('throws a TypeError for %s', (_, opts) => {
    expect(() => ConnectionAuth.validateOptions(opts as ConnectionAuthOptions)).toThrow(TypeError);
  });

  it.each<[string, Partial<ConnectionAuthOptions>]>([
    ['a non-function mapClaims', { mapClaims: 'sub' as never }],
    ['a negative warnBeforeSec', { warnBeforeSec: -1 }],
    ['a NaN graceSec', { graceSec: Number.NaN }],
    ['an infinite maxReauthsPerMinute', { maxReauthsPerMinute: Number.POSITIVE_INFINITY }],
    ['a string graceSec', { graceSec: '5' as never }],
  ])('throws a TypeError for %s', (_, extra) => {
    expect(() => ConnectionAuth.validateOptions(options(extra))).toThrow(TypeError);
  });

  it('accepts valid options, and the constructor validates too', () => {
    expect(() => ConnectionAuth.validateOptions(options({ graceSec: 0, warnBeforeSec: 0 }))).not.toThrow();
    const context = createAuthContext(fresh());
    expect(() => new ConnectionAuth(context, { verifier: undefined as never })).toThrow(TypeError);
  });
});

describe('expiry', () => {
  it('warns once at exp - warnBeforeSec and cuts at exp + tolerance', async () => {
    const { auth, rec, exp } = await started(3600);
    const warnAt = exp - WARN_SEC * SEC;
    const deadline = exp + TOLERANCE_SEC * SEC;
    expect(auth.deadline).toBe(deadline);

    jest.advanceTimersByTime(warnAt - Date.now() - 1);
    expect(rec.expiring).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(rec.expiring).toHaveBeenCalledTimes(1);
    expect(rec.expiring).toHaveBeenCalledWith({ expiresAt: exp, inMs: WARN_SEC * SEC }, auth.context, auth);

    jest.advanceTimersByTime(deadline - Date.now() - 1);
    expect(rec.expiring).toHaveBeenCalledTimes(1);
    expect(rec.expired).not.toHaveBeenCalled();
    expect(auth.current().subject).toBe('alice');
    expect(auth.state).toBe('active');

    jest.advanceTimersByTime(1);
    expect(rec.expired).toHaveBeenCalledTimes(1);
    const [error, context] = rec.expired.mock.calls[0] as [unknown, AuthContext];
    expect(isAuthError(error) && error.code).toBe('AUTH_EXPIRED');
    expect(context).toBe(auth.context);
    expect(rec.grace).not.toHaveBeenCalled();
    expect(auth.state).toBe('expired');
    expect(auth.isActive()).toBe(false);
    expect(syncCodeOf(() => auth.current())).toBe('AUTH_EXPIRED');
    expect(jest.getTimerCount()).toBe(0);

    jest.advanceTimersByTime(DAY);
    expect(rec.expired).toHaveBeenCalledTimes(1);
    expect(rec.expiring).toHaveBeenCalledTimes(1);
  });

  it('refuses current() past the deadline even before the timer has fired', async () => {
    const { auth, rec } = await started(3600);
    // Move the clock without running timers, as when the event loop is busy with queued events.
    jest.setSystemTime(auth.deadline);
    expect(rec.expired).not.toHaveBeenCalled();
    expect(auth.state).toBe('active');
    expect(auth.isActive()).toBe(false);
    expect(syncCodeOf(() => auth.current())).toBe('AUTH_EXPIRED');
    jest.setSystemTime(auth.deadline - 1);
    expect(auth.current().subject).toBe('alice');
  });

  it('warns at once when exp - warnBeforeSec has already passed at start', async () => {
    const { rec, exp } = await started(10);
    expect(rec.expiring).toHaveBeenCalledTimes(1);
    expect(rec.expiring).toHaveBeenCalledWith({ expiresAt: exp, inMs: 10 * SEC }, expect.anything(), expect.anything());
    jest.advanceTimersByTime(10 * SEC + TOLERANCE_SEC * SEC);
    expect(rec.expiring).toHaveBeenCalledTimes(1);
    expect(rec.expired).toHaveBeenCalledTimes(1);
  });

  it('reports inMs 0 for a token already past exp but within the tolerance', async () => {
    const { auth, rec } = await started(-2);
    expect(rec.expiring).toHaveBeenCalledWith(expect.objectContaining({ inMs: 0 }), expect.anything(), expect.anything());
    expect(auth.current().subject).toBe('alice');
    jest.advanceTimersByTime(3 * SEC);
    expect(rec.expired).toHaveBeenCalledTimes(1);
  });

  it('expires at once when started past its deadline', () => {
    const rec = recorder();
    const context = createAuthContext(fresh({ exp: NOW_SEC - 60 }));
    const auth = new ConnectionAuth(context, options(), rec.events);
    expect(auth.state).toBe('pending');
    expect(syncCodeOf(() => auth.current())).toBe('AUTH_EXPIRED');
    auth.start();
    expect(rec.expired).toHaveBeenCalledTimes(1);
    expect(auth.state).toBe('expired');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never warns when warnBeforeSec is 0 and the tolerance is 0', async () => {
    const verifier = createVerifier({
      algorithms: ['HS256'],
      verify: () => fresh({ exp: NOW_SEC + 60 }),
      clockToleranceSec: 0,
      now: () => Date.now(),
    });
    const rec = recorder();
    const auth = await ConnectionAuth.authenticate('t', { verifier, warnBeforeSec: 0 }, rec.events);
    auth.start();
    jest.advanceTimersByTime(60 * SEC);
    expect(rec.expiring).not.toHaveBeenCalled();
    expect(rec.expired).toHaveBeenCalledTimes(1);
  });

  it('does not start tracking twice, and does nothing before start()', async () => {
    const rec = recorder();
    const auth = await ConnectionAuth.authenticate(token(fresh({ exp: NOW_SEC + 60 })), options(), rec.events);
    jest.advanceTimersByTime(DAY);
    expect(rec.expiring).not.toHaveBeenCalled();
    expect(rec.expired).not.toHaveBeenCalled();
    expect(syncCodeOf(() => auth.current())).toBe('AUTH_EXPIRED');
    auth.start();
    auth.start();
    expect(rec.expired).toHaveBeenCalledTimes(1);
  });

  it('does not fire early for deadlines beyond the maximum timer delay (30 days)', async () => {
    expect(MAX_TIMER_DELAY_MS).toBe(2 ** 31 - 1);
    const { auth, rec, exp } = await started(30 * 86_400);
    expect(exp - NOW_MS).toBeGreaterThan(MAX_TIMER_DELAY_MS);

    jest.advanceTimersByTime(25 * DAY);
    expect(rec.expiring).not.toHaveBeenCalled();
    expect(rec.expired).not.toHaveBeenCalled();
    expect(auth.state).toBe('active');
    expect(jest.getTimerCount()).toBe(1);

    jest.advanceTimersByTime(exp - WARN_SEC * SEC - Date.now());
    expect(rec.expiring).toHaveBeenCalledTimes(1);
    expect(rec.expired).not.toHaveBeenCalled();

    jest.advanceTimersByTime(auth.deadline - Date.now() - 1);
    expect(rec.expired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(Date.now()).toBe(NOW_MS + 30 * DAY + TOLERANCE_SEC * SEC);
    expect(rec.expired).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps scheduling when callbacks throw', async () => {
    const auth = await ConnectionAuth.authenticate(token(fresh({ exp: NOW_SEC + 3600 })), options({ graceSec: 60 }), {
      onExpiring: () => {
        throw new Error('emit failed');
      },
      onGrace: () => {
        throw new Error('emit failed');
      },
      onExpired: () => {
        throw new Error('disconnect failed');
      },
    });
    auth.start();
    jest.advanceTimersByTime(3600 * SEC);
    expect(auth.state).toBe('active');
    jest.advanceTimersByTime(TOLERANCE_SEC * SEC);
    expect(auth.state).toBe('grace');
    jest.advanceTimersByTime(60 * SEC);
    expect(auth.state).toBe('expired');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('shares one timer between the connections of one options object, each cut at its own deadline', async () => {
    const opts = options({ warnBeforeSec: 0 });
    const a = await started(60, opts);
    const b = await started(120, opts);
    const c = await started(60, opts);
    const d = await started(600, opts);
    expect(jest.getTimerCount()).toBe(1);
    d.auth.close();
    expect(jest.getTimerCount()).toBe(1);

    jest.advanceTimersByTime(a.auth.deadline - Date.now() - 1);
    expect(a.rec.expired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(a.rec.expired).toHaveBeenCalledTimes(1);
    expect(c.rec.expired).toHaveBeenCalledTimes(1);
    // One frozen AUTH_EXPIRED error for every expiry: nothing is built per connection, and nobody can alter it.
    const error = a.rec.expired.mock.calls[0]![0];
    expect(c.rec.expired.mock.calls[0]![0]).toBe(error);
    expect(isAuthError(error) && error.code).toBe('AUTH_EXPIRED');
    expect(Object.isFrozen(error)).toBe(true);
    expect(b.rec.expired).not.toHaveBeenCalled();
    expect(b.auth.state).toBe('active');
    expect(jest.getTimerCount()).toBe(1);

    jest.advanceTimersByTime(b.auth.deadline - Date.now());
    expect(b.rec.expired).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(DAY);
    expect(d.rec.expired).not.toHaveBeenCalled();
    expect(a.rec.expired).toHaveBeenCalledTimes(1);
  });

  it('leaves no timer when a callback closes the connection', async () => {
    const rec = recorder();
    const auth = await ConnectionAuth.authenticate(token(fresh({ exp: NOW_SEC + 3600 })), options(), {
      ...rec.events,
      onExpiring: () => auth.close(),
    });
    auth.start();
    jest.advanceTimersByTime(3600 * SEC);
    expect(auth.state).toBe('closed');
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(DAY);
    expect(rec.expired).not.toHaveBeenCalled();
  });
});

describe('grace period', () => {
  it('enters grace at the deadline, then expires when grace ends', async () => {
    const { auth, rec } = await started(3600, options({ graceSec: 60 }));
    const deadline = auth.deadline;
    jest.advanceTimersByTime(deadline - Date.now());
    expect(rec.grace).toHaveBeenCalledTimes(1);
    expect(rec.grace).toHaveBeenCalledWith({ graceEndsAt: deadline + 60 * SEC }, auth.context, auth);
    expect(rec.expired).not.toHaveBeenCalled();
    expect(auth.state).toBe('grace');
    expect(syncCodeOf(() => auth.current())).toBe('AUTH_EXPIRED');
    expect(jest.getTimerCount()).toBe(1);

    jest.advanceTimersByTime(60 * SEC - 1);
    expect(rec.expired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(rec.expired).toHaveBeenCalledTimes(1);
    expect(rec.grace).toHaveBeenCalledTimes(1);
    expect(auth.state).toBe('expired');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('restores active state on a re-auth during grace, with a new deadline', async () => {
    const { auth, rec } = await started(3600, options({ graceSec: 60 }));
    jest.advanceTimersByTime(auth.deadline - Date.now() + 10 * SEC);
    expect(auth.state).toBe('grace');

    const next = await auth.reauthenticate(token(fresh()));
    expect(auth.state).toBe('active');
    expect(next.version).toBe(2);
    expect(auth.current()).toBe(next);
    expect(auth.deadline).toBe(next.expiresAt + TOLERANCE_SEC * SEC);

    // The old grace end passes without expiry; the new context warns and is cut on its own schedule.
    jest.advanceTimersByTime(60 * SEC);
    expect(rec.expired).not.toHaveBeenCalled();
    expect(rec.expiring).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(auth.deadline - Date.now());
    expect(rec.expiring).toHaveBeenCalledTimes(2);
    expect(rec.grace).toHaveBeenCalledTimes(2);
  });

  it('refuses a re-auth after grace ended', async () => {
    const { auth } = await started(3600, options({ graceSec: 60 }));
    jest.advanceTimersByTime(auth.deadline - Date.now() + 60 * SEC);
    expect(auth.state).toBe('expired');
    expect(await codeOf(auth.reauthenticate(token(fresh())))).toBe('AUTH_EXPIRED');
  });
});

describe('re-authentication', () => {
  it('swaps the context, bumps the version and reschedules the deadline', async () => {
    const { auth, rec } = await started(600, options(), { jti: 'j1', sid: 's1' });
    const first = auth.current();
    jest.advanceTimersByTime(300 * SEC);

    const next = await auth.reauthenticate(token(fresh({ jti: 'j2', sid: 's1', scope: 'chat:write' })));
    expect(next.version).toBe(2);
    expect(next.tokenId).toBe('j2');
    expect(next.permissions.has('chat:write')).toBe(true);
    expect(Object.isFrozen(next)).toBe(true);
    expect(auth.current()).toBe(next);
    expect(auth.context).toBe(next);
    expect(first.version).toBe(1);
    expect(auth.deadline).toBe(next.expiresAt + TOLERANCE_SEC * SEC);

    // The first token's deadline passes harmlessly.
    jest.advanceTimersByTime(first.expiresAt + TOLERANCE_SEC * SEC - Date.now() + 1);
    expect(rec.expired).not.toHaveBeenCalled();
    expect(auth.current()).toBe(next);
    expect(jest.getTimerCount()).toBe(1);

    jest.advanceTimersByTime(auth.deadline - Date.now());
    expect(rec.expired).toHaveBeenCalledTimes(1);
    expect(rec.expired.mock.calls[0]?.[1]).toBe(next);
  });

  it('warns again for the new context after a re-auth', async () => {
    const { auth, rec } = await started(20);
    expect(rec.expiring).toHaveBeenCalledTimes(1);
    const next = await auth.reauthenticate(token(fresh({ exp: NOW_SEC + 25 })));
    expect(rec.expiring).toHaveBeenCalledTimes(2);
    expect(rec.expiring).toHaveBeenLastCalledWith({ expiresAt: next.expiresAt, inMs: 25 * SEC }, next, auth);
  });

  it('accepts a re-auth before start() without starting timers', async () => {
    const auth = await ConnectionAuth.authenticate(token(fresh()), options());
    const next = await auth.reauthenticate(token(fresh()));
    expect(next.version).toBe(2);
    expect(auth.state).toBe('pending');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('refuses another subject with AUTH_IDENTITY_MISMATCH', async () => {
    const { auth } = await started();
    expect(await codeOf(auth.reauthenticate(token(fresh({ sub: 'mallory' }))))).toBe('AUTH_IDENTITY_MISMATCH');
  });

  it('refuses another session, or a token dropping or adding a session, with AUTH_IDENTITY_MISMATCH', async () => {
    const { auth } = await started(3600, options(), { sid: 's1' });
    expect(await codeOf(auth.reauthenticate(token(fresh({ sid: 's2' }))))).toBe('AUTH_IDENTITY_MISMATCH');
    expect(await codeOf(auth.reauthenticate(token(fresh())))).toBe('AUTH_IDENTITY_MISMATCH');
    const { auth: sessionless } = await started();
    expect(await codeOf(sessionless.reauthenticate(token(fresh({ sid: 's1' }))))).toBe('AUTH_IDENTITY_MISMATCH');
  });

  it('refuses a token issued before the one in force with AUTH_STALE', async () => {
    const { auth } = await started();
    expect(await codeOf(auth.reauthenticate(token(fresh({ iat: NOW_SEC - 1 }))))).toBe('AUTH_STALE');
    const { iat: _iat, ...noIat } = fresh();
    expect(await codeOf(auth.reauthenticate(token(noIat)))).toBe('AUTH_STALE');
  });

  it('accepts a token issued in the same second as the one in force', async () => {
    const { auth } = await started();
    await expect(auth.reauthenticate(token(fresh({ iat: NOW_SEC })))).resolves.toBeDefined();
  });

  it('refuses a replay of a token id that was in force earlier with AUTH_STALE', async () => {
    const { auth } = await started(3600, options(), { jti: 'j1' });
    await auth.reauthenticate(token(fresh({ jti: 'j2' })));
    // Same iat as the token in force, so only the replay rule can refuse it.
    expect(await codeOf(auth.reauthenticate(token(fresh({ jti: 'j1' }))))).toBe('AUTH_STALE');
    expect(auth.current().tokenId).toBe('j2');
  });

  it('still refuses every earlier token after a newer iat cleared the replay memory', async () => {
    const { auth } = await started(3600, options(), { jti: 'j1' });
    await auth.reauthenticate(token(fresh({ jti: 'j2' })));
    await auth.reauthenticate(token(fresh({ jti: 'j3', iat: NOW_SEC + 1 })));
    // j1 and j2 carry the older iat: refused as stale even though the replay memory was dropped.
    expect(await codeOf(auth.reauthenticate(token(fresh({ jti: 'j1' }))))).toBe('AUTH_STALE');
    expect(await codeOf(auth.reauthenticate(token(fresh({ jti: 'j2' }))))).toBe('AUTH_STALE');
    expect(auth.current().tokenId).toBe('j3');
  });

  it('refuses a revoked token with AUTH_REVOKED and keeps the connection', async () => {
    const store = new MemoryRevocationStore({ now: () => Date.now() });
    const { auth } = await started(3600, options({ revocationStore: store }), { jti: 'j1' });
    await store.revokeToken('j2', NOW_MS + DAY);
    expect(await codeOf(auth.reauthenticate(token(fresh({ jti: 'j2' }))))).toBe('AUTH_REVOKED');
    expect(auth.state).toBe('active');
    expect(auth.current().tokenId).toBe('j1');
  });

  it('answers AUTH_UNAVAILABLE when the revocation store throws during re-auth', async () => {
    let failing = false;
    const memory = new MemoryRevocationStore();
    const store = {
      isRevoked: (subject: Parameters<RevocationStore['isRevoked']>[0]) =>
        failing ? Promise.reject(new Error('store down')) : memory.isRevoked(subject),
    } as unknown as RevocationStore;
    const { auth } = await started(3600, options({ revocationStore: store }));
    failing = true;
    expect(await codeOf(auth.reauthenticate(token(fresh())))).toBe('AUTH_UNAVAILABLE');
    expect(auth.current().version).toBe(1);
  });

  it('leaves context, version and deadline untouched after any failed re-auth', async () => {
    const { auth, rec } = await started(600, options(), { sid: 's1', jti: 'j1' });
    const before = auth.current();
    const deadline = auth.deadline;
    const failures = [
      'not-a-token',
      token(fresh({ sid: 's1', exp: NOW_SEC - 60 })),
      token(fresh({ sub: 'mallory', sid: 's1' })),
      token(fresh({ sid: 's2' })),
      token(fresh({ sid: 's1', iat: NOW_SEC - 10 })),
      token(fresh({ sid: 's1', scope: 42 })),
    ];
    for (const t of failures) await rejectionOf(auth.reauthenticate(t));
    expect(auth.current()).toBe(before);
    expect(auth.current().version).toBe(1);
    expect(auth.deadline).toBe(deadline);
    jest.advanceTimersByTime(deadline - Date.now());
    expect(rec.expired).toHaveBeenCalledTimes(1);
  });

  it('keeps handling events with the context in force while a re-auth is in flight', async () => {
    const { auth } = await started();
    const before = auth.current();
    const slow = slowToken();
    const pending = auth.reauthenticate(slow.token);
    expect(auth.current()).toBe(before);
    slow.verified.resolve(fresh({ scope: 'new', iat: NOW_SEC + 1 }));
    const next = await pending;
    expect(auth.current()).toBe(next);
  });

  it.each([
    ['newer completes first', ['newer', 'older']],
    ['older completes first', ['older', 'newer']],
  ] as const)('resolves concurrent re-auths to the newest valid token when the %s', async (_, order) => {
    const { auth } = await started(3600, options(), { jti: 'j0' });
    const slow = { older: slowToken(), newer: slowToken() };
    const results = {
      older: auth.reauthenticate(slow.older.token).then(
        (ctx) => ({ ok: true as const, ctx }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      newer: auth.reauthenticate(slow.newer.token).then(
        (ctx) => ({ ok: true as const, ctx }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    };
    const payloads = {
      older: fresh({ jti: 'j-older', iat: NOW_SEC + 10 }),
      newer: fresh({ jti: 'j-newer', iat: NOW_SEC + 20 }),
    };
    for (const which of order) {
      slow[which].verified.resolve(payloads[which]);
      await results[which];
    }
    expect(auth.current().tokenId).toBe('j-newer');
    const newer = await results.newer;
    expect(newer.ok).toBe(true);
    const older = await results.older;
    if (order[0] === 'newer') {
      expect(older.ok).toBe(false);
      expect(!older.ok && isAuthError(older.error) && older.error.code).toBe('AUTH_STALE');
      expect(auth.current().version).toBe(2);
    } else {
      expect(older.ok).toBe(true);
      expect(auth.current().version).toBe(3);
    }
  });

  it('refuses a re-auth that completes after the connection was revoked, and starts no timer', async () => {
    const { auth } = await started();
    const slow = slowToken();
    const pending = auth.reauthenticate(slow.token);
    expect(auth.revoke()).toBe(true);
    slow.verified.resolve(fresh());
    expect(await codeOf(pending)).toBe('AUTH_REVOKED');
    expect(auth.state).toBe('revoked');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('refuses a re-auth that completes after the connection was closed', async () => {
    const { auth } = await started();
    const slow = slowToken();
    const pending = auth.reauthenticate(slow.token);
    auth.close();
    slow.verified.resolve(fresh());
    expect(await codeOf(pending)).toBe('AUTH_MISSING');
    expect(auth.context).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rate-limits re-auths per minute with AUTH_UNAVAILABLE, counting failures too', async () => {
    const { auth } = await started(3600, options({ maxReauthsPerMinute: 3 }));
    await auth.reauthenticate(token(fresh()));
    await rejectionOf(auth.reauthenticate('bad'));
    await auth.reauthenticate(token(fresh()));
    const limited = await rejectionOf(auth.reauthenticate(token(fresh())));
    expect(isAuthError(limited) && limited.code).toBe('AUTH_UNAVAILABLE');
    expect(isAuthError(limited) && limited.action).toBe('retry');
    expect(auth.current().version).toBe(3);

    jest.advanceTimersByTime(60 * SEC);
    await expect(auth.reauthenticate(token(fresh()))).resolves.toBeDefined();
  });

  it('allows ten re-auths per minute by default', async () => {
    const { auth } = await started();
    for (let i = 0; i < 10; i++) await auth.reauthenticate(token(fresh()));
    expect(await codeOf(auth.reauthenticate(token(fresh())))).toBe('AUTH_UNAVAILABLE');
    expect(auth.current().version).toBe(11);
  });
});

describe('revoke and close', () => {
  it('revoke() refuses the context with AUTH_REVOKED and leaves no timers', async () => {
    const { auth, rec } = await started();
    expect(jest.getTimerCount()).toBe(1);
    expect(auth.revoke()).toBe(true);
    expect(auth.state).toBe('revoked');
    expect(jest.getTimerCount()).toBe(0);
    expect(syncCodeOf(() => auth.current())).toBe('AUTH_REVOKED');
    expect(await codeOf(auth.reauthenticate(token(fresh())))).toBe('AUTH_REVOKED');
    expect(auth.revoke()).toBe(false);
    jest.advanceTimersByTime(DAY);
    expect(rec.expired).not.toHaveBeenCalled();
  });

  it('revoke() reports false on an expired connection', async () => {
    const { auth } = await started(60);
    jest.advanceTimersByTime(auth.deadline - Date.now());
    expect(auth.state).toBe('expired');
    expect(auth.revoke()).toBe(false);
    expect(auth.state).toBe('expired');
  });

  it('close() forgets the context, leaves no timers and is idempotent', async () => {
    const { auth, rec } = await started(3600, options({ graceSec: 30 }));
    auth.close();
    auth.close();
    expect(auth.state).toBe('closed');
    expect(auth.context).toBeUndefined();
    expect(auth.deadline).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    expect(syncCodeOf(() => auth.current())).toBe('AUTH_MISSING');
    expect(await codeOf(auth.reauthenticate(token(fresh())))).toBe('AUTH_MISSING');
    expect(auth.revoke()).toBe(false);
    auth.start();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(DAY);
    expect(rec.expired).not.toHaveBeenCalled();
  });

  it('close() during grace leaves no timers', async () => {
    const { auth, rec } = await started(60, options({ graceSec: 30 }));
    jest.advanceTimersByTime(auth.deadline - Date.now());
    expect(auth.state).toBe('grace');
    auth.close();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(DAY);
    expect(rec.expired).not.toHaveBeenCalled();
  });
});
