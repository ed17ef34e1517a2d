import type { AuthContext } from './auth-context.js';
import { assertKnownKeys, assertPlainObject, isPlainObject, type KnownKeys } from './option-keys.js';
import { AuthForbiddenError, isAuthError, AuthUnavailableError, type AuthError } from './errors.js';
import {
  authorizeAction,
  compileRequirement,
  satisfies,
  type AuthorizeHook,
  type CompiledRequirement,
  type PermissionRequirement,
} from './permissions.js';
import {
  MATCH,
  NO_MATCH,
  compareSpecificity,
  isExact,
  isValidRoomName,
  matchRoom,
  parseRoomPattern,
  type PatternSegment,
} from './room-pattern.js';

/**
 * What a room rule admits: a {@link PermissionRequirement} (`null`: any authenticated context), or `false`: nobody
 * (a carve-out from a broader rule).
 *
 * @example
 * ```ts
 * const staff: RoomRequirement = ['chat:read', 'chat:admin'];
 * const closed: RoomRequirement = false;
 * ```
 */
export type RoomRequirement = PermissionRequirement | false;

/**
 * Room rules: room pattern → requirement. Patterns are made of `:`-separated segments: literals (matched exactly),
 * `{claim}` bindings (whole segments; `{sub}` is the context's subject) and a trailing `*`. The most specific rule
 * that covers a room decides; see {@link compileRoomPolicies}.
 *
 * @example
 * ```ts
 * const roomPolicies: RoomPolicies = {
 *   lobby: null,                                  // any authenticated context
 *   '*': 'chat:read',                             // every other room needs chat:read...
 *   'staff-*': ['chat:read', 'chat:admin'],       // ...and staff rooms chat:admin as well
 *   'staff-archive': false,                       // nobody
 *   'tenant:{tenant}:*': 'chat:read',             // tenant:acme and below: only users whose tenant claim is "acme"
 *   'user:{sub}': null,                           // user:alice: only alice
 * };
 * ```
 */
export type RoomPolicies = Readonly<Record<string, RoomRequirement>>;

/**
 * What happens to a room no rule covers: refused (the default), or admitted for any authenticated context.
 *
 * @example
 * ```ts
 * compileRoomPolicies({ 'user:{sub}': null }, { unlistedRooms: 'authenticated' });
 * ```
 */
export type UnlistedRoomPolicy = 'deny' | 'authenticated';

/**
 * Options of {@link compileRoomPolicies}.
 *
 * @example
 * ```ts
 * compileRoomPolicies(rooms, { option: 'SockAuthModule.roomPolicies', unlistedRooms: 'deny', maxRoomNameLength: 128 });
 * ```
 */
export interface RoomPolicyOptions {
  /** The option's name in your configuration, used in start-up errors. Default `'roomPolicies'`. */
  readonly option?: string;
  /** Rooms that no rule covers: `'deny'` (default) or `'authenticated'`. */
  readonly unlistedRooms?: UnlistedRoomPolicy;
  /** Longest room name accepted, in UTF-16 code units; longer names are refused. Default 256. */
  readonly maxRoomNameLength?: number;
}

/**
 * The `action` passed to the `authorize` hook when a context asks to join a room. It lies in the `auth:` namespace
 * of sockauth's own protocol, so it never collides with an application event name.
 *
 * @example
 * ```ts
 * const authorize: AuthorizeHook = async (ctx, action, args) =>
 *   action === ROOM_JOIN_ACTION ? !(await bans.has(ctx.subject, (args[0] as RoomActionData).room)) : true;
 * ```
 */
export const ROOM_JOIN_ACTION = 'auth:room-join';
/**
 * The `action` passed to the `authorize` hook when a context's rooms are re-evaluated (after a context change).
 *
 * @example
 * ```ts
 * const authorize: AuthorizeHook = (ctx, action) => action !== ROOM_STAY_ACTION || !suspended.has(ctx.subject);
 * ```
 */
export const ROOM_STAY_ACTION = 'auth:room-stay';

/**
 * The one argument the `authorize` hook receives with {@link ROOM_JOIN_ACTION} and {@link ROOM_STAY_ACTION}: its
 * `args` are `[{ room }]`, the shape of a `join { room }` event's arguments, so one policy reads both alike.
 *
 * @example
 * ```ts
 * const { room } = args[0] as RoomActionData;
 * ```
 */
export interface RoomActionData {
  readonly room: string;
}

/**
 * A room a context must leave, and why (an `AuthForbiddenError`, or what the `authorize` hook decided).
 *
 * @example
 * ```ts
 * const leaves: RoomLeave[] = await policy.reevaluate(ctx, joined);
 * log.info({ left: leaves.map(({ room, error }) => [room, error.code]) });
 * ```
 */
export interface RoomLeave {
  readonly room: string;
  readonly error: AuthError;
}

/**
 * Default of {@link RoomPolicyOptions.maxRoomNameLength}, in UTF-16 code units.
 *
 * @example
 * ```ts
 * if (name.length > DEFAULT_MAX_ROOM_NAME_LENGTH) return ack({ error: 'name too long' });
 * ```
 */
export const DEFAULT_MAX_ROOM_NAME_LENGTH = 256;
const MAX_MAX_ROOM_NAME_LENGTH = 65_536;

/**
 * Compiled room rules: which rooms a context may be in. Built once at start-up by {@link compileRoomPolicies};
 * immutable; a transport adapter asks it on every join ({@link RoomPolicy.check}) and after every change of a
 * context ({@link RoomPolicy.reevaluate}).
 *
 * @example
 * ```ts
 * const policy: RoomPolicy = compileRoomPolicies({ '*': 'chat:read' });
 * ```
 */
export interface RoomPolicy {
  /** Rooms no rule covers. */
  readonly unlistedRooms: UnlistedRoomPolicy;
  /** Longest room name accepted. */
  readonly maxRoomNameLength: number;

  /**
   * The static part of the decision, synchronous and allocation-free (a broadcast path may ask it for every
   * socket): true when the room name is valid, the most specific rule covering it admits `context` (bindings and
   * permissions), or no rule covers it and `unlistedRooms` is `'authenticated'`. The live `authorize` hook is not
   * consulted: `true` here is necessary, not sufficient.
   *
   * @example
   * ```ts
   * if (!policy.allows(ctx, 'staff-ops')) return; // skip this socket
   * ```
   */
  allows(context: AuthContext, room: unknown): boolean;

  /**
   * Decides whether `context` may join `room`: the static part, then the live `authorize` hook with action
   * {@link ROOM_JOIN_ACTION} and data `{ room }` (through `authorizeAction`, like events). Resolves when allowed;
   * rejects with `AUTH_FORBIDDEN`, or `AUTH_UNAVAILABLE` when the hook failed without deciding, or the `AuthError`
   * the hook threw.
   *
   * @example
   * ```ts
   * try { await policy.check(ctx, room, authorize); socket.join(room); ack({ ok: true }); }
   * catch (err) { ack({ error: err.toJSON() }); }
   * ```
   */
  check<TContext extends AuthContext>(
    context: TContext,
    room: unknown,
    authorize?: AuthorizeHook<TContext>,
  ): Promise<void>;

  /**
   * Re-checks the rooms a socket is in against its new `context` (after a re-auth or a live re-evaluation) and
   * returns the ones it must leave now, in the order given, each with its reason. The hook is asked with action
   * {@link ROOM_STAY_ACTION} and data `{ room }`, for all rooms at once. Fails closed: a room whose hook failed is
   * left too (`AUTH_UNAVAILABLE`); nothing rejects. Pass only rooms joined through this policy (not the socket's
   * own id room).
   *
   * @example
   * ```ts
   * for (const { room, error } of await policy.reevaluate(ctx, joinedRooms, authorize)) {
   *   socket.leave(room);
   *   socket.emit(ROOM_LEFT_EVENT, roomLeftPayload(room, error));
   * }
   * ```
   */
  reevaluate<TContext extends AuthContext>(
    context: TContext,
    rooms: Iterable<string>,
    authorize?: AuthorizeHook<TContext>,
  ): Promise<RoomLeave[]>;
}

/** One compiled rule. `requirement` null: the rule admits nobody (`false`). */
interface Rule {
  readonly segments: readonly PatternSegment[];
  readonly requirement: CompiledRequirement | null;
}

/** Why a room was refused before any permission was looked at: the `cause.name` of the `AuthForbiddenError`. */
type Refusal = 'RoomNameInvalid' | 'RoomNotListed' | 'RoomDenied' | 'RoomNotBound';

const REFUSALS: Readonly<Record<Refusal, string>> = {
  RoomNameInvalid: 'invalid room name',
  RoomNotListed: 'no room policy admits this room',
  RoomDenied: 'this room is closed by policy',
  RoomNotBound: 'this room belongs to another identity',
};

const AUTHENTICATED = compileRequirement(null);
/** Every option of {@link RoomPolicyOptions}: the typecheck fails if the two drift apart. */
const ROOM_POLICY_OPTION_KEYS = {
  option: true,
  unlistedRooms: true,
  maxRoomNameLength: true,
} as const satisfies KnownKeys<RoomPolicyOptions>;

class CompiledRoomPolicy implements RoomPolicy {
  readonly unlistedRooms: UnlistedRoomPolicy;
  readonly maxRoomNameLength: number;
  readonly #exact: ReadonlyMap<string, CompiledRequirement | null>;
  /** Patterns with a binding or a wildcard, most specific first. */
  readonly #patterns: readonly Rule[];
  readonly #unlisted: CompiledRequirement | null;

  constructor(
    exact: Map<string, CompiledRequirement | null>,
    patterns: Rule[],
    unlistedRooms: UnlistedRoomPolicy,
    maxRoomNameLength: number,
  ) {
    this.#exact = exact;
    this.#patterns = patterns;
    this.unlistedRooms = unlistedRooms;
    this.#unlisted = unlistedRooms === 'authenticated' ? AUTHENTICATED : null;
    this.maxRoomNameLength = maxRoomNameLength;
    Object.freeze(this);
  }

  /** The requirement that decides `room` for `context`, or why it is refused outright. Allocates nothing. */
  #resolve(context: AuthContext, room: unknown): CompiledRequirement | Refusal {
    if (!isValidRoomName(room, this.maxRoomNameLength)) return 'RoomNameInvalid';
    const exact = this.#exact.get(room);
    if (exact !== undefined) return exact ?? 'RoomDenied';
    for (const rule of this.#patterns) {
      const result = matchRoom(rule.segments, room, context);
      if (result === NO_MATCH) continue;
      // The most specific rule covering the room decides, even against this context: its bindings are conditions.
      if (rule.requirement === null) return 'RoomDenied';
      return result === MATCH ? rule.requirement : 'RoomNotBound';
    }
    return this.#unlisted ?? 'RoomNotListed';
  }

  allows(context: AuthContext, room: unknown): boolean {
    const decision = this.#resolve(context, room);
    return typeof decision !== 'string' && satisfies(context, decision);
  }

  check<TContext extends AuthContext>(
    context: TContext,
    room: unknown,
    authorize?: AuthorizeHook<TContext>,
  ): Promise<void> {
    return this.#decide(context, room, ROOM_JOIN_ACTION, authorize);
  }

  async reevaluate<TContext extends AuthContext>(
    context: TContext,
    rooms: Iterable<string>,
    authorize?: AuthorizeHook<TContext>,
  ): Promise<RoomLeave[]> {
    const verdicts: Promise<RoomLeave | undefined>[] = [];
    for (const room of rooms) {
      verdicts.push(
        this.#decide(context, room, ROOM_STAY_ACTION, authorize).then(
          () => undefined,
          (error: unknown) => ({ room, error: asAuthError(error) }),
        ),
      );
    }
    const leaves: RoomLeave[] = [];
    for (const verdict of await Promise.all(verdicts)) if (verdict !== undefined) leaves.push(verdict);
    return leaves;
  }

  async #decide<TContext extends AuthContext>(
    context: TContext,
    room: unknown,
    action: string,
    authorize: AuthorizeHook<TContext> | undefined,
  ): Promise<void> {
    const decision = this.#resolve(context, room);
    if (typeof decision === 'string') throw new AuthForbiddenError(REFUSALS[decision], { cause: { name: decision } });
    const data: RoomActionData = Object.freeze({ room: room as string });
    await authorizeAction(context, decision, action, Object.freeze([data]), authorize);
  }
}

/** `authorizeAction` only rejects with AuthErrors; anything else would be a bug, and still must not keep a room. */
function asAuthError(error: unknown): AuthError {
  return isAuthError(error) ? error : new AuthUnavailableError('room policy failed', { cause: { name: 'RoomPolicyError' } });
}

/**
 * Validates room rules once, at start-up, and compiles them into a {@link RoomPolicy}. Throws `TypeError` naming
 * the option and the key for every mistake: a non-object, a symbol key, an empty pattern, `*` anywhere but at the
 * end, an unclosed `{`, a binding that is not a whole segment, an empty or unusable claim name, empty segments,
 * leading/trailing whitespace or invisible characters, a pattern longer than `maxRoomNameLength`, two patterns of
 * the same shape (`user:{sub}` and `user:{uid}`), a malformed requirement, an unknown option.
 *
 * Decisions:
 * - Room names are compared exactly (UTF-16 code units: no case folding, Unicode normalisation or trimming).
 *   Names that are not strings, are empty, longer than `maxRoomNameLength` or have an empty segment (`a::b`,
 *   `a:`, `:a`) are refused whatever the rules.
 * - The most specific rule covering a room decides, independently of key order: an exact name first; otherwise,
 *   comparing patterns segment by segment from the left, a literal beats a binding beats a wildcard, a pattern
 *   that ended beats a wildcard, and the longer wildcard prefix wins. It decides alone: a more specific rule can
 *   tighten or loosen a broader one, so write each rule's requirement in full.
 * - A rule covers a room by its shape; its bindings are conditions: `user:{sub}` covers every `user:…` room and
 *   admits only the context whose subject is that segment. A bound claim must be a non-empty string or a safe
 *   integer (compared in its decimal form); a value containing `:` never matches, so `tenant:a:b` can never be
 *   tenant `a:b`'s room. Any other claim type, or a missing claim, refuses.
 * - A room no rule covers is refused, unless `unlistedRooms: 'authenticated'`.
 *
 * @example
 * ```ts
 * const policy = compileRoomPolicies({ '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'] });
 * policy.allows(ctx, 'staff-ops');           // sync, static part only
 * await policy.check(ctx, 'general', authorize); // + live hook; rejects AUTH_FORBIDDEN / AUTH_UNAVAILABLE
 * const leave = await policy.reevaluate(newCtx, joinedRooms, authorize);
 * ```
 */
export function compileRoomPolicies(policies: RoomPolicies, options: RoomPolicyOptions = {}): RoomPolicy {
  assertPlainObject('room policy options', options as unknown);
  assertKnownKeys('room policy options', options, ROOM_POLICY_OPTION_KEYS);
  const option = options.option ?? 'roomPolicies';
  if (typeof option !== 'string' || option.length === 0) {
    throw new TypeError('sockauth: room policy option "option" must be a non-empty string');
  }
  const unlistedRooms = options.unlistedRooms ?? 'deny';
  if (unlistedRooms !== 'deny' && unlistedRooms !== 'authenticated') {
    throw new TypeError('sockauth: "unlistedRooms" must be "deny" or "authenticated"');
  }
  const maxRoomNameLength = options.maxRoomNameLength ?? DEFAULT_MAX_ROOM_NAME_LENGTH;
  if (!Number.isInteger(maxRoomNameLength) || maxRoomNameLength < 1 || maxRoomNameLength > MAX_MAX_ROOM_NAME_LENGTH) {
    throw new TypeError(`sockauth: "maxRoomNameLength" must be an integer from 1 to ${MAX_MAX_ROOM_NAME_LENGTH}`);
  }
  if (!isPlainObject(policies)) {
    throw new TypeError(`sockauth: "${option}" must be an object of room pattern → requirement`);
  }
  if (Object.getOwnPropertySymbols(policies).length > 0) {
    throw new TypeError(`sockauth: "${option}" keys must be strings (room patterns), not symbols`);
  }

  const exact = new Map<string, CompiledRequirement | null>();
  const patterns: (Rule & { readonly source: string })[] = [];
  for (const source of Object.keys(policies)) {
    const where = `sockauth: ${option}[${JSON.stringify(source)}]`;
    let segments: readonly PatternSegment[];
    let requirement: CompiledRequirement | null;
    try {
      if (source.length > maxRoomNameLength) {
        throw new Error(`a room pattern must not be longer than maxRoomNameLength (${maxRoomNameLength})`);
      }
      segments = parseRoomPattern(source);
      const value = policies[source];
      if (value === undefined) throw new Error('a requirement is required (null: any authenticated context)');
      requirement = value === false ? null : compileRequirement(value);
    } catch (error) {
      throw new TypeError(`${where}: ${(error as Error).message}`);
    }
    if (isExact(segments)) exact.set(source, requirement);
    else patterns.push({ source, segments, requirement });
  }
  // Most specific first. The sort is stable, so two patterns of one shape end up side by side in key order.
  patterns.sort((a, b) => compareSpecificity(a.segments, b.segments));
  for (let i = 1; i < patterns.length; i++) {
    const [first, second] = [patterns[i - 1]!, patterns[i]!];
    if (compareSpecificity(first.segments, second.segments) === 0) {
      throw new TypeError(
        `sockauth: ${option}[${JSON.stringify(second.source)}]: has the same shape as ${JSON.stringify(first.source)}; ` +
          'which one applies would be ambiguous',
      );
    }
  }
  const rules: Rule[] = patterns.map(({ segments, requirement }) => Object.freeze({ segments, requirement }));
  return new CompiledRoomPolicy(exact, rules, unlistedRooms, maxRoomNameLength);
}
