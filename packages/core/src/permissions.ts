import type { AuthContext } from './auth-context.js';
import { AuthForbiddenError, AuthUnavailableError, isAuthError } from './errors.js';

/**
 * What an action needs:
 * - a string: that permission;
 * - an array: all of them;
 * - `{ allOf, anyOf }`: every `allOf` and at least one `anyOf` (either may be omitted);
 * - `null`: authenticated is enough.
 */
export type PermissionRequirement =
  | string
  | readonly string[]
  | { readonly allOf?: readonly string[]; readonly anyOf?: readonly string[] }
  | null;

/** A validated requirement, built once and checked without allocating. */
export interface CompiledRequirement {
  readonly allOf: readonly string[];
  readonly anyOf: readonly string[];
}

/**
 * What the `authorize` hook is asked about, in every adapter: the event's arguments as the client sent them, in
 * order, **without** the acknowledgement callback, in a frozen array. `socket.emit('join', { room: 'a' }, ack)`
 * gives `[{ room: 'a' }]`; `emit('move', 3, 4)` gives `[3, 4]`; `emit('ping')` gives `[]`. On NestJS the message
 * body (`@MessageBody()`) of a one-argument message is `args[0]`.
 *
 * @example
 * ```ts
 * const authorize: AuthorizeHook = (ctx, event, args) => (args[0] as { room?: string })?.room !== 'staff';
 * ```
 */
export type AuthorizeArgs = readonly unknown[];

/**
 * A live policy hook for what claims cannot answer (tenant disabled, role removed since the token was issued):
 * `(context, action, args)`, with the context in force, the event name (`action`) and the event's arguments
 * without the ack ({@link AuthorizeArgs}) — the same shape on Socket.IO and on NestJS. Return `true` to allow;
 * `false` (or anything but `true`) refuses with `AUTH_FORBIDDEN`; throw an `AuthError` to refuse with its code;
 * any other throw refuses with `AUTH_UNAVAILABLE` (nothing was decided).
 *
 * @example
 * ```ts
 * const authorize: AuthorizeHook = async (ctx, event, args) =>
 *   !(await tenants.isDisabled(ctx.claims.tenant)) && (args[0] as { room?: string })?.room !== 'staff';
 * ```
 */
export type AuthorizeHook<TContext extends AuthContext = AuthContext> = (
  context: TContext,
  action: string,
  args: AuthorizeArgs,
) => boolean | Promise<boolean>;

/**
 * Requirement helper: all of `permissions`.
 *
 * @example
 * ```ts
 * const map = { 'chat:send': allOf('chat:write', 'chat:read') };
 * ```
 */
export function allOf(...permissions: string[]): PermissionRequirement {
  return { allOf: permissions };
}

/**
 * Requirement helper: at least one of `permissions`.
 *
 * @example
 * ```ts
 * const map = { 'room:moderate': anyOf('chat:admin', 'chat:moderator') };
 * ```
 */
export function anyOf(...permissions: string[]): PermissionRequirement {
  return { anyOf: permissions };
}

const AUTHENTICATED_ONLY: CompiledRequirement = Object.freeze({ allOf: Object.freeze([]), anyOf: Object.freeze([]) });

function checkList(list: unknown, what: string): string[] {
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new TypeError(`${what} must be an array of non-empty permission strings`);
  }
  return [...list];
}

/**
 * Validates and freezes a requirement. Throws `TypeError` on a malformed one, at configuration time.
 */
export function compileRequirement(requirement: PermissionRequirement | CompiledRequirement): CompiledRequirement {
  if (requirement === null) return AUTHENTICATED_ONLY;
  if (typeof requirement === 'string') {
    if (requirement.length === 0) throw new TypeError('a permission requirement must not be empty');
    return Object.freeze({ allOf: Object.freeze([requirement]), anyOf: Object.freeze([]) });
  }
  if (Array.isArray(requirement)) {
    return Object.freeze({ allOf: Object.freeze(checkList(requirement, 'requirement')), anyOf: Object.freeze([]) });
  }
  if (typeof requirement === 'object') {
    const { allOf: all = [], anyOf: any = [] } = requirement as CompiledRequirement;
    return Object.freeze({
      allOf: Object.freeze(checkList(all, 'allOf')),
      anyOf: Object.freeze(checkList(any, 'anyOf')),
    });
  }
  throw new TypeError('a permission requirement must be a string, an array, { allOf, anyOf } or null');
}

/** True when the context's permissions satisfy the requirement (no live policy involved). */
export function satisfies(context: AuthContext, requirement: CompiledRequirement): boolean {
  const granted = context.permissions;
  for (const permission of requirement.allOf) if (!granted.has(permission)) return false;
  if (requirement.anyOf.length === 0) return true;
  for (const permission of requirement.anyOf) if (granted.has(permission)) return true;
  return false;
}

function describeRequirement(requirement: CompiledRequirement): string {
  const parts: string[] = [];
  if (requirement.allOf.length > 0) parts.push(`all of [${requirement.allOf.join(', ')}]`);
  if (requirement.anyOf.length > 0) parts.push(`any of [${requirement.anyOf.join(', ')}]`);
  return parts.join(' and ');
}

/**
 * Decides whether `context` may perform `action`: the static requirement first, then the optional live
 * `authorize` hook, which receives `args` ({@link AuthorizeArgs}: the event's arguments without the ack).
 * Resolves when allowed; rejects with `AUTH_FORBIDDEN` when refused, or `AUTH_UNAVAILABLE` when the hook failed
 * without deciding.
 *
 * @example
 * ```ts
 * await authorizeAction(ctx, compileRequirement('chat:write'), 'chat:send', [payload], tenantIsActive);
 * ```
 */
export async function authorizeAction<TContext extends AuthContext>(
  context: TContext,
  requirement: CompiledRequirement,
  action: string,
  args: AuthorizeArgs,
  hook?: AuthorizeHook<TContext>,
): Promise<void> {
  if (!satisfies(context, requirement)) {
    throw new AuthForbiddenError(`"${action}" requires ${describeRequirement(requirement)}`);
  }
  if (hook === undefined) return;
  let allowed: boolean;
  try {
    allowed = await hook(context, action, args);
  } catch (error) {
    if (isAuthError(error)) throw error;
    throw new AuthUnavailableError('authorization policy failed', { cause: { name: 'AuthorizeHookError' } });
  }
  if (allowed !== true) throw new AuthForbiddenError(`"${action}" refused by policy`);
}
