import type { JWTPayload } from 'jose';
import { AuthInvalidError } from './errors.js';
import { PermissionSet } from './permission-set.js';

/**
 * The identity and rights of one connection at one moment. Immutable: a re-auth produces a new context with
 * `version + 1`; nothing ever mutates one in place.
 */
export interface AuthContext<TClaims extends JWTPayload = JWTPayload> {
  /** The subject (`sub`, or what `mapClaims` derived). */
  readonly subject: string;
  /** The verified claims, frozen. */
  readonly claims: Readonly<TClaims>;
  /** Granted permissions. */
  readonly permissions: PermissionSet;
  /** Session id (`sid`), when the token has one. */
  readonly sessionId?: string;
  /** Token id (`jti`), when the token has one. */
  readonly tokenId?: string;
  /** `iat` in milliseconds since the epoch, when the token has one. */
  readonly issuedAt?: number;
  /** `exp` in milliseconds since the epoch. */
  readonly expiresAt: number;
  /** 1 for the handshake, +1 for every successful re-auth. */
  readonly version: number;
  /** An application principal produced by `mapClaims` (e.g. the result of a passport strategy's `validate`). */
  readonly user?: unknown;
}

/** What a {@link ClaimsMapper} returns: the identity part of a context. */
export interface MappedIdentity {
  readonly subject: string;
  readonly permissions?: Iterable<string>;
  readonly sessionId?: string;
  readonly tokenId?: string;
  /** An application principal to carry on the context (not used for any decision by sockauth). */
  readonly user?: unknown;
}

/**
 * Turns verified claims into an identity. Throw an `AuthError` to refuse the token: `AuthForbiddenError` for a
 * policy refusal of a valid identity (at the handshake: the client must not reconnect on its own).
 */
export type ClaimsMapper<TClaims extends JWTPayload = JWTPayload> = (claims: TClaims) => MappedIdentity;

function optionalString(value: unknown, claim: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new AuthInvalidError(`"${claim}" claim must be a non-empty string`, { cause: { name: 'ClaimType', claim } });
  }
  return value;
}

function scopeList(value: unknown, claim: string): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  throw new AuthInvalidError(`"${claim}" claim must be a string or an array of strings`, {
    cause: { name: 'ClaimType', claim },
  });
}

/**
 * The default {@link ClaimsMapper}: `sub` is the subject; `scope`/`scp` (space-separated string or array) and
 * `permissions` (array or string) are merged into the permission set; `sid` and `jti` are carried over.
 *
 * @example
 * ```ts
 * defaultMapClaims({ sub: 'alice', scope: 'chat:read chat:write' }).permissions; // ['chat:read', 'chat:write']
 * ```
 */
export const defaultMapClaims: ClaimsMapper = (claims) => {
  const subject = optionalString(claims.sub, 'sub');
  if (subject === undefined) {
    throw new AuthInvalidError('"sub" claim is required', { cause: { name: 'ClaimMissing', claim: 'sub' } });
  }
  return {
    subject,
    permissions: [
      ...scopeList(claims['scope'], 'scope'),
      ...scopeList(claims['scp'], 'scp'),
      ...scopeList(claims['permissions'], 'permissions'),
    ],
    sessionId: optionalString(claims['sid'], 'sid'),
    tokenId: optionalString(claims.jti, 'jti'),
  };
};

/** Freezes `value` and everything reachable from it (already frozen objects are taken as done). @internal */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * Builds an immutable {@link AuthContext} from verified claims.
 *
 * @param claims Verified claims; `exp` must be a number (the verifier guarantees it).
 * @param version 1 at the handshake; the previous version + 1 on re-auth.
 * @param mapClaims How claims become an identity (default {@link defaultMapClaims}).
 * @param options `ownClaims`: nobody can change `claims` behind the context's back (the verifier's payloads are
 *   fresh, or already deeply frozen and shared by its verified-token cache), so it is frozen in place instead of
 *   copied first, saving a copy per connection.
 */
export function createAuthContext<TClaims extends JWTPayload = JWTPayload>(
  claims: TClaims,
  version = 1,
  mapClaims: ClaimsMapper<TClaims> = defaultMapClaims as unknown as ClaimsMapper<TClaims>,
  options: { readonly ownClaims?: boolean } = {},
): AuthContext<TClaims> {
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
    throw new AuthInvalidError('"exp" claim is required', { cause: { name: 'ClaimMissing', claim: 'exp' } });
  }
  const identity = mapClaims(claims);
  if (typeof identity?.subject !== 'string' || identity.subject.length === 0) {
    throw new AuthInvalidError('no subject', { cause: { name: 'ClaimMissing', claim: 'sub' } });
  }
  // Optional members are added only when present (absent, never `undefined`), by assignment rather than by
  // spreading conditional objects: no temporary object per member (a whole tenant's re-evaluation builds thousands).
  const context: { -readonly [K in keyof AuthContext<TClaims>]: AuthContext<TClaims>[K] } = {
    subject: identity.subject,
    claims: deepFreeze(options.ownClaims === true ? claims : structuredClone(claims)),
    permissions: PermissionSet.of(identity.permissions ?? []),
    expiresAt: claims.exp * 1000,
    version,
  };
  if (identity.sessionId !== undefined) context.sessionId = identity.sessionId;
  if (identity.tokenId !== undefined) context.tokenId = identity.tokenId;
  if (typeof claims.iat === 'number' && Number.isFinite(claims.iat)) context.issuedAt = claims.iat * 1000;
  if (identity.user !== undefined) context.user = identity.user;
  return Object.freeze(context);
}

/** A log-safe summary of a context: no claims, no token. */
export interface ContextDescription {
  readonly subject: string;
  readonly sessionId?: string;
  readonly tokenId?: string;
  readonly permissions: string[];
  readonly expiresAt: string;
  readonly version: number;
}

/**
 * A log-safe description of a context: identity, permission names, expiry and version; never claims or token.
 *
 * @example
 * ```ts
 * logger.info({ auth: describeContext(ctx) }, 'socket authenticated');
 * ```
 */
export function describeContext(context: AuthContext): ContextDescription {
  return {
    subject: context.subject,
    ...(context.sessionId !== undefined && { sessionId: context.sessionId }),
    ...(context.tokenId !== undefined && { tokenId: context.tokenId }),
    permissions: context.permissions.toArray(),
    expiresAt: new Date(context.expiresAt).toISOString(),
    version: context.version,
  };
}

/**
 * @deprecated Use {@link describeContext}: the same function under a name that does not shadow jest's global
 * `describe` when imported. Kept because the README documented it; to be removed in the next major.
 *
 * @example
 * ```ts
 * logger.info({ auth: describeContext(ctx) }, 'socket authenticated'); // instead of describe(ctx)
 * ```
 */
export const describe = describeContext;
