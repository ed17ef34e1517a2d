import { HttpException, HttpStatus, type Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import {
  AuthForbiddenError,
  AuthInvalidError,
  AuthUnavailableError,
  defaultMapClaims,
  isAuthError,
  mapVerificationError,
  type AuthError,
  type ClaimsMapper,
} from '@sockauth/core';
import type { HandshakeLike, TokenExtractor } from '@sockauth/socket.io';
import { decodeJwt, type JWTPayload } from '@sockauth/core/jose';
import type { DelegatedVerify } from './jwt-service.verifier.js';

/** The members of a passport-jwt `Strategy` (as extended by `PassportStrategy`) that are used here. */
interface JwtStrategyLike {
  authenticate(request: unknown, options?: unknown): void;
  _jwtFromRequest(request: unknown): unknown;
}

/** Passport's per-request action callbacks, which `passport.authenticate()` normally installs. */
interface StrategyActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(error: unknown): void;
  redirect(url: string, status?: number): void;
  pass(): void;
}

/** What the passport integration gives the service. */
export interface PassportVerification extends DelegatedVerify {
  /** Wraps a claims mapper so that the context carries the strategy's `validate()` result as `user`. */
  readonly mapClaims: (inner: ClaimsMapper | undefined) => ClaimsMapper;
  /** A handshake token source running the strategy's own `jwtFromRequest`. */
  readonly extractor: TokenExtractor;
}

/**
 * Authenticates sockets with an application's existing passport-jwt strategy, so HTTP and WebSocket share one
 * definition of a user.
 *
 * `verify(token)` runs the strategy's own `authenticate()` (its key, `jsonWebTokenOptions`, `validate()`) on a
 * throw-away object whose prototype is the strategy instance, with `_jwtFromRequest` returning the token and
 * passport's `success`/`fail`/`error` captured into a promise; the shared strategy is never mutated. The
 * already-verified token is then decoded with jose's `decodeJwt` for sockauth's own checks (`exp`, claims), and
 * the `validate()` result travels to the context as `user` through a WeakMap keyed by that payload object: core
 * hands the very object returned by `verify` to `mapClaims`.
 */
export function passportVerify(
  moduleRef: ModuleRef,
  strategyClass: Type<unknown>,
  options: { readonly allowQueryToken: boolean },
): PassportVerification {
  let strategy: JwtStrategyLike | undefined;
  const resolve = (): JwtStrategyLike => (strategy ??= resolveStrategy(moduleRef, strategyClass));
  const users = new WeakMap<object, unknown>();

  return {
    async verify(token) {
      const user = await runStrategy(resolve(), token);
      let payload: JWTPayload;
      try {
        payload = decodeJwt(token);
      } catch (error) {
        throw mapVerificationError(error);
      }
      users.set(payload, user);
      return payload;
    },
    resolve: async () => void resolve(),
    mapClaims: (inner) => (claims) => {
      const identity = (inner ?? defaultMapClaims)(claims);
      const user = users.get(claims);
      return user === undefined ? identity : { ...identity, user };
    },
    extractor: (handshake) => resolve()._jwtFromRequest(handshakeRequest(handshake, options.allowQueryToken)),
  };
}

function resolveStrategy(moduleRef: ModuleRef, strategyClass: Type<unknown>): JwtStrategyLike {
  let found: unknown;
  try {
    found = moduleRef.get(strategyClass, { strict: false });
  } catch {
    throw new Error(`sockauth: passport strategy ${strategyClass.name} is not a provider of the application`);
  }
  const candidate = found as Partial<JwtStrategyLike> | undefined;
  if (typeof candidate?.authenticate !== 'function' || typeof candidate._jwtFromRequest !== 'function') {
    throw new Error(`sockauth: ${strategyClass.name} is not a passport-jwt strategy (PassportStrategy(Strategy))`);
  }
  return candidate as JwtStrategyLike;
}

/** Runs one authentication with the strategy; resolves with the `validate()` result. Rejects with an AuthError. */
function runStrategy(strategy: JwtStrategyLike, token: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const attempt = Object.create(strategy) as JwtStrategyLike & StrategyActions;
    const actions: StrategyActions = {
      success: (user) => resolve(user),
      fail: (challenge) => reject(failure(challenge)),
      error: (error) => reject(strategyError(error)),
      redirect: () => reject(new AuthInvalidError('token refused by the passport strategy')),
      pass: () => reject(new AuthInvalidError('token refused by the passport strategy')),
    };
    Object.assign(attempt, actions, { _jwtFromRequest: () => token });
    try {
      // The request is synthetic: the token is all a socket has to offer here (handshake or `auth:refresh`).
      attempt.authenticate({ headers: { authorization: `Bearer ${token}` }, method: 'GET', url: '/', query: {}, body: {} }, {});
    } catch (error) {
      reject(strategyError(error));
    }
  });
}

/** `fail()`: jsonwebtoken errors (mapped by name in core), or `validate()` returning nothing. */
function failure(challenge: unknown): AuthError {
  if (challenge instanceof Error) return mapVerificationError(challenge);
  return new AuthInvalidError('token refused by the passport strategy', { cause: { name: 'PassportValidateRefused' } });
}

/**
 * `error()`: `validate()` threw. A 403 (`ForbiddenException`: a suspended account, a disabled tenant) is a policy
 * refusal of a valid identity, `AUTH_FORBIDDEN` (action `none`: the client stops, nothing to log in again for);
 * any other HTTP 4xx (e.g. `UnauthorizedException`) is a decision about the token; anything else (a database
 * down) decided nothing, so the client should retry.
 */
function strategyError(error: unknown): AuthError {
  if (isAuthError(error)) return error;
  if (error instanceof HttpException && error.getStatus() === HttpStatus.FORBIDDEN) {
    return new AuthForbiddenError('refused by the passport strategy', { cause: { name: error.name } });
  }
  if (error instanceof HttpException && error.getStatus() < 500) {
    return new AuthInvalidError('token refused by the passport strategy', { cause: { name: error.name } });
  }
  return new AuthUnavailableError('passport strategy failed', {
    cause: { name: error instanceof Error ? error.name : 'Error' },
  });
}

/**
 * What a passport extractor sees of a handshake: its headers without `Cookie` (browsers attach cookies to
 * cross-site WebSocket handshakes; cookie tokens go through sockauth's `cookie` option, which checks the
 * `Origin`), and its query string only when query tokens are allowed.
 */
function handshakeRequest(handshake: Readonly<HandshakeLike>, allowQueryToken: boolean): unknown {
  const { cookie: _cookie, ...headers } = handshake.headers;
  const url = allowQueryToken ? handshake.url : (handshake.url ?? '').split('?')[0];
  return { headers, url, originalUrl: url, method: 'GET', query: allowQueryToken ? { ...handshake.query } : {}, body: {} };
}
