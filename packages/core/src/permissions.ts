import type { AuthContext } from './auth-context.js';
import { AuthForbiddenError, AuthUnavailableError, isAuthError } from './errors.js';
import { assertKnownKeys, isPlainObject, type KnownKeys } from './option-keys.js';

/**
 * What an action needs:
 * - a non-empty string: that permission;
 * - a non-empty array: all of them;
 * - `{ allOf, anyOf }`: every `allOf` and at least one `anyOf` (either may be omitted, not both; neither empty);
 * - `null`: authenticated is enough (the only way to say so: `{}`, `[]` or `{ anyOf: [] }` are errors).
 *
 * @example
 * ```ts
 * const rules: Record<string, PermissionRequirement> = { whoami: null, 'doc:delete': { allOf: ['doc:admin'] } };
 * ```
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
 * Requirement helper: all of `permissions` (at least one; a `TypeError` otherwise, at configuration time).
 *
 * @example
 * ```ts
 * const map = { 'chat:send': allOf('chat:write', 'chat:read') };
 * ```
 */
export function allOf(...permissions: string[]): PermissionRequirement {
  checkList(permissions, 'allOf()');
  return { allOf: permissions };
}

/**
 * Requirement helper: at least one of `permissions` (at least one; a `TypeError` otherwise, at configuration time).
 *
 * @example
 * ```ts
 * const map = { 'room:moderate': anyOf('chat:admin', 'chat:moderator') };
 * ```
 */
export function anyOf(...permissions: string[]): PermissionRequirement {
  checkList(permissions, 'anyOf()');
  return { anyOf: permissions };
}

/** The keys a requirement object may have (a misspelt `allof` must not mean "no permission needed"). */
const REQUIREMENT_KEYS = { allOf: true, anyOf: true } as const satisfies KnownKeys<{ allOf?: unknown; anyOf?: unknown }>;

/** Requirements this module built: compiling one again returns it as is (it may be authenticated-only). */
const compiled = new WeakSet<object>();

function freeze(allOf: readonly string[], anyOf: readonly string[]): CompiledRequirement {
  const requirement = Object.freeze({ allOf: Object.freeze([...allOf]), anyOf: Object.freeze([...anyOf]) });
  compiled.add(requirement);
  return requirement;
}

const AUTHENTICATED_ONLY = freeze([], []);

/** A non-empty array of distinct non-empty strings, without holes; a `TypeError` naming `what` otherwise. */
function checkList(list: unknown, what: string): readonly string[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(`sockauth: ${what} must be a non-empty array of permission strings (null means "authenticated only")`);
  }
  // An index loop, not every(): every() skips holes.
  for (let i = 0; i < list.length; i++) {
    const permission: unknown = list[i];
    if (typeof permission !== 'string' || permission.length === 0) {
      throw new TypeError(`sockauth: ${what}[${i}] must be a non-empty permission string`);
    }
    if (list.indexOf(permission) !== i) {
      throw new TypeError(`sockauth: ${what} lists ${JSON.stringify(permission)} twice`);
    }
  }
  return list as string[];
}

/**
 * Validates and freezes a requirement, at configuration time. Accepted, exactly:
 * - `null`: authenticated is enough (the one way to say "no permission");
 * - a non-empty string;
 * - a non-empty array of distinct non-empty strings (all of them);
 * - a plain object with only `allOf` and/or `anyOf`, at least one of them, each such an array;
 * - a requirement this function returned.
 *
 * Anything else (`{}`, `[]`, `{ anyOf: [] }`, a misspelt key such as `allof`, `undefined`, a number, a class
 * instance) throws a `TypeError`: a malformed rule is a start-up error, never "no permission needed". `name` says
 * what is being compiled (`events["doc:delete"]`), for the message.
 *
 * @example
 * ```ts
 * const canDelete = compileRequirement({ allOf: ['doc:admin'] }, 'events["doc:delete"]');
 * compileRequirement({ allof: ['doc:admin'] }, 'events["doc:delete"]'); // TypeError: ... did you mean "allOf"?
 * ```
 */
export function compileRequirement(
  requirement: PermissionRequirement | CompiledRequirement,
  name = 'permission requirement',
): CompiledRequirement {
  if (requirement === null) return AUTHENTICATED_ONLY;
  if (typeof requirement === 'string') {
    if (requirement.length === 0) throw new TypeError(`sockauth: ${name} must not be an empty string (null means "authenticated only")`);
    return freeze([requirement], []);
  }
  if (Array.isArray(requirement)) return freeze(checkList(requirement, name), []);
  if (typeof requirement === 'object' && compiled.has(requirement)) return requirement as CompiledRequirement;
  if (isPlainObject(requirement)) {
    assertKnownKeys(name, requirement, REQUIREMENT_KEYS, 'key');
    const { allOf: all, anyOf: any } = requirement as { allOf?: unknown; anyOf?: unknown };
    if (all === undefined && any === undefined) {
      throw new TypeError(`sockauth: ${name} must have "allOf" or "anyOf" (null means "authenticated only")`);
    }
    return freeze(
      all === undefined ? [] : checkList(all, `${name}.allOf`),
      any === undefined ? [] : checkList(any, `${name}.anyOf`),
    );
  }
  throw new TypeError(
    `sockauth: ${name} must be null, a permission string, a non-empty array of them or { allOf, anyOf } (got ${describeValue(requirement)})`,
  );
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
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
