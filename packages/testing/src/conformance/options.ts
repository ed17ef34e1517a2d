import { assertKnownKeys, assertPlainObject, isPlainObject, type KnownKeys } from '@sockauth/core';
import type { TestIssuer, TestIssuerOptions } from '../test-issuer.js';
import type { ConformanceDriver, ConformanceRequest } from './driver.js';
import type { FlowId } from './flow-ids.js';
import { FLOW_IDS } from './flow-ids.js';

/**
 * An explicit skip: the reason is printed in the skipped test's name.
 *
 * @example
 * ```ts
 * restrict: { skip: 'no admin API to withhold a permission yet' },
 * ```
 */
export interface ConformanceSkip {
  readonly skip: string;
}

/**
 * The claims of a token the suite needs minted (`ttlSec` may be negative: an already expired token).
 *
 * @example
 * ```ts
 * mint: ({ subject, sessionId, permissions, ttlSec }) => idp.issue({ sub: subject, sid: sessionId, scope: permissions.join(' '), ttlSec }),
 * ```
 */
export interface ConformanceClaims {
  readonly subject: string;
  /** The session (`sid`): two tokens with the same one are two tabs of one login. */
  readonly sessionId: string;
  readonly permissions: readonly string[];
  /** Lifetime in seconds from now. */
  readonly ttlSec: number;
}

/** What the suite revokes: the user's server revokes the session if it can, else the subject (unique per flow). */
export interface ConformanceRevocation {
  readonly subject: string;
  readonly sessionId: string;
}

/**
 * A started server under test, as `start()` resolves it.
 *
 * @example
 * ```ts
 * start: async () => ({ url: `http://127.0.0.1:${port}`, stop: () => server.close(), logs: () => captured.join('\n') }),
 * ```
 */
export interface ConformanceServer {
  /** Base URL, e.g. `http://127.0.0.1:53211`. */
  readonly url: string;
  /** Stops it (called once, after the last flow). */
  stop(): Promise<void> | void;
  /** Everything the server logged so far (stdout, stderr, a logger's records): for the "tokens in logs" flow. */
  logs?(): string | Promise<string>;
}

/** What the suite hands to `start`. */
export interface ConformanceStartContext {
  /** The kit's issuer the server must trust (when the options have no `mint`). */
  readonly issuer: TestIssuer | undefined;
}

/**
 * The event that needs a permission; its ack proves it ran (the observable side effect the expiry, role-loss and
 * pre-handshake flows look for).
 *
 * @example
 * ```ts
 * privileged: { permission: 'orders:write', request: (id, scope) => ({ event: 'order:place', payload: { id, book: scope } }) },
 * ```
 */
export interface PrivilegedEvent {
  /** The permission it needs. */
  readonly permission: string;
  /**
   * The message, given a key unique to this send (an idempotency key, if the event takes one) and a scope unique to
   * the flow (e.g. a room name).
   */
  request(key: string, scope: string): ConformanceRequest;
  /** Whether an ack proves the event ran (default: an object ack without `error` and without `ok: false`). */
  ran?(ack: unknown): boolean;
}

/**
 * How a connection watches side effects: subscribe to a scope, then count pushes of `event` by key.
 *
 * @example
 * ```ts
 * observe: { subscribe: (room) => ({ event: 'chat:join', payload: { room } }), event: 'chat:message', keyOf: (m) => (m as { id: string }).id },
 * ```
 */
export interface ObservedEffects {
  /** The message that subscribes a connection to `scope` (e.g. joining a room); its ack must not be an error. */
  subscribe(scope: string): ConformanceRequest;
  /** The push a subscriber receives for each effect of the privileged event in its scope. */
  readonly event: string;
  /** The key of a push (what {@link PrivilegedEvent.request} was given). */
  keyOf(payload: unknown): unknown;
}

/** Rooms follow the current authorization: a room needs `permission`; losing it evicts the socket. */
export interface RoomRules {
  /** The permission {@link ObservedEffects.subscribe} needs. */
  readonly permission: string;
}

/**
 * Server timings the flows must know (the server's configuration, not the suite's wishes).
 *
 * @example
 * ```ts
 * timings: { ttlSec: 3, clockToleranceSec: 0, warnBeforeSec: 2 }, // the server runs with warnBeforeSec: 2
 * ```
 */
export interface ConformanceTimings {
  /** Lifetime of the tokens of the expiry flows (default 3 s). */
  readonly ttlSec?: number;
  /** The server's clock tolerance on `exp` (default 0). */
  readonly clockToleranceSec?: number;
  /** When the server sends `auth:expiring` before `exp` (default 30: keep it small, the client flows wait for it). */
  readonly warnBeforeSec?: number;
  /** How far the clock-skew flows move the client's clock, either way (default 5 minutes). */
  readonly skewMinutes?: number;
}

/**
 * Options of the lifecycle conformance suite: what only the server's owner knows. Strict: an unknown key, a
 * missing function or an implicit skip is a `TypeError` naming the option when the suite is defined.
 *
 * @example
 * ```ts
 * const options: ConformanceOptions = {
 *   start: async ({ issuer }) => startServer({ jwtSecret: issuer!.secret }),
 *   permissions: ['chat:read', 'chat:write'],
 *   privileged: { permission: 'chat:write', request: (id, room) => ({ event: 'chat:send', payload: { room, text: 'hi', id } }) },
 *   harmless: { event: 'whoami' },
 *   observe: { skip: 'no broadcast to watch' },
 *   rooms: { skip: 'no rooms' },
 *   revoke: ({ sessionId }) => admin.revokeSession(sessionId),
 *   restrict: { skip: 'no live restriction' },
 *   timings: { warnBeforeSec: 2 },
 * };
 * ```
 */
export interface ConformanceOptions {
  /** Title of the generated `describe` (default `sockauth lifecycle conformance (<driver>)`). */
  readonly name?: string;
  /** Starts the server once, before the first flow. */
  start(context: ConformanceStartContext): Promise<ConformanceServer>;
  /** The wire (default {@link socketIoDriver}()). */
  readonly driver?: ConformanceDriver;
  /** The kit's issuer, when `mint` is not given (default: `createTestIssuer()`'s HS256 defaults). */
  readonly issuer?: TestIssuerOptions;
  /** Mints a token with your identity provider (default: the kit's issuer). */
  mint?(claims: ConformanceClaims): Promise<string>;
  /** The permissions of a full user (every flow's user starts with them). */
  readonly permissions: readonly string[];
  /** An event that needs a permission and whose ack proves it ran. */
  readonly privileged: PrivilegedEvent;
  /** An event any authenticated user may send (e.g. `whoami`): a round trip that proves nothing was pushed before. */
  readonly harmless: ConformanceRequest;
  /** How side effects are watched (the idempotency and rooms flows), or an explicit skip. */
  readonly observe: ObservedEffects | ConformanceSkip;
  /** The rooms rule (the rooms flow), or an explicit skip. */
  readonly rooms: RoomRules | ConformanceSkip;
  /** Revokes a session (or the subject) and resolves once its live connections were cut. */
  revoke(target: ConformanceRevocation): Promise<void>;
  /** Withholds `deny` from `subject`'s live connections (a role lost mid-session), or an explicit skip. */
  readonly restrict: ((subject: string, deny: readonly string[]) => Promise<void>) | ConformanceSkip;
  /** The server's timings. */
  readonly timings?: ConformanceTimings;
  /** Flows to skip, each with its reason (printed in the test name). */
  readonly skip?: Partial<Record<FlowId, string>>;
}

const CONFORMANCE_OPTION_KEYS = {
  name: true,
  start: true,
  driver: true,
  issuer: true,
  mint: true,
  permissions: true,
  privileged: true,
  harmless: true,
  observe: true,
  rooms: true,
  revoke: true,
  restrict: true,
  timings: true,
  skip: true,
} as const satisfies KnownKeys<ConformanceOptions>;
const PRIVILEGED_KEYS = { permission: true, request: true, ran: true } as const satisfies KnownKeys<PrivilegedEvent>;
const REQUEST_KEYS = { event: true, payload: true } as const satisfies KnownKeys<ConformanceRequest>;
const OBSERVE_KEYS = { subscribe: true, event: true, keyOf: true } as const satisfies KnownKeys<ObservedEffects>;
const ROOM_KEYS = { permission: true } as const satisfies KnownKeys<RoomRules>;
const SKIP_KEYS = { skip: true } as const satisfies KnownKeys<ConformanceSkip>;
const TIMING_KEYS = { ttlSec: true, clockToleranceSec: true, warnBeforeSec: true, skewMinutes: true } as const satisfies KnownKeys<ConformanceTimings>;

/** Options after validation, with the defaults applied. */
export interface ResolvedConformanceOptions extends Omit<ConformanceOptions, 'timings' | 'skip'> {
  readonly timings: Required<ConformanceTimings>;
  readonly skip: Partial<Record<FlowId, string>>;
  ran(ack: unknown): boolean;
}

const WHERE = 'conformance options';

/** True for `{ skip: 'reason' }`. */
export function isSkip(value: unknown): value is ConformanceSkip {
  return typeof value === 'object' && value !== null && 'skip' in value;
}

function fn(value: unknown, name: string): void {
  if (typeof value !== 'function') throw new TypeError(`${WHERE}: "${name}" must be a function`);
}

function text(value: unknown, name: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${WHERE}: "${name}" must be a non-empty string`);
}

/** A value that is either `{ skip: reason }` or the options `check` validates (`shape` says which, for the error). */
function skipOr(value: unknown, name: string, shape: string, check: (value: Record<string, unknown>) => void): void {
  if (!isPlainObject(value)) throw new TypeError(`${WHERE}: "${name}" must be ${shape} or { skip: 'why' } (a skip is never implicit)`);
  if (isSkip(value)) {
    assertKnownKeys(`${WHERE}.${name}`, value, SKIP_KEYS);
    text(value.skip, `${name}.skip`);
    return;
  }
  check(value);
}

function positive(value: unknown, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${WHERE}: "timings.${name}" must be a number of at least ${min}`);
  }
  return value;
}

/** The default of {@link PrivilegedEvent.ran}: an object ack that is not an error. */
function ranByDefault(ack: unknown): boolean {
  if (typeof ack !== 'object' || ack === null) return false;
  const { error, ok } = ack as { error?: unknown; ok?: unknown };
  return error === undefined && ok !== false;
}

/**
 * Validates the options (a `TypeError` naming the option for every mistake, before any test runs) and applies
 * the defaults.
 */
export function resolveConformanceOptions(options: ConformanceOptions): ResolvedConformanceOptions {
  assertPlainObject(WHERE, options as unknown);
  assertKnownKeys(WHERE, options, CONFORMANCE_OPTION_KEYS);
  fn(options.start, 'start');
  fn(options.revoke, 'revoke');
  if (options.mint !== undefined) fn(options.mint, 'mint');
  if (options.name !== undefined) text(options.name, 'name');
  if (options.mint !== undefined && options.issuer !== undefined) {
    throw new TypeError(`${WHERE}: give "mint" or "issuer", not both (the issuer only mints when there is no "mint")`);
  }
  if (!Array.isArray(options.permissions) || options.permissions.some((p) => typeof p !== 'string' || p === '')) {
    throw new TypeError(`${WHERE}: "permissions" must be an array of permission strings`);
  }
  assertPlainObject(`${WHERE}.privileged`, options.privileged as unknown);
  assertKnownKeys(`${WHERE}.privileged`, options.privileged, PRIVILEGED_KEYS);
  text(options.privileged.permission, 'privileged.permission');
  fn(options.privileged.request, 'privileged.request');
  if (options.privileged.ran !== undefined) fn(options.privileged.ran, 'privileged.ran');
  assertPlainObject(`${WHERE}.harmless`, options.harmless as unknown);
  assertKnownKeys(`${WHERE}.harmless`, options.harmless, REQUEST_KEYS);
  text(options.harmless.event, 'harmless.event');
  skipOr(options.observe, 'observe', '{ subscribe, event, keyOf }', (observe) => {
    assertKnownKeys(`${WHERE}.observe`, observe, OBSERVE_KEYS);
    fn(observe['subscribe'], 'observe.subscribe');
    text(observe['event'], 'observe.event');
    fn(observe['keyOf'], 'observe.keyOf');
  });
  skipOr(options.rooms, 'rooms', '{ permission }', (rooms) => {
    assertKnownKeys(`${WHERE}.rooms`, rooms, ROOM_KEYS);
    text(rooms['permission'], 'rooms.permission');
    if (isSkip(options.observe)) throw new TypeError(`${WHERE}: "rooms" needs "observe" (how a socket joins a room and sees what is sent to it)`);
  });
  if (typeof options.restrict !== 'function') skipOr(options.restrict, 'restrict', 'a function', () => fn(options.restrict, 'restrict'));
  for (const needed of [options.privileged.permission, ...(isSkip(options.rooms) ? [] : [options.rooms.permission])]) {
    if (!options.permissions.includes(needed)) {
      throw new TypeError(`${WHERE}: "permissions" must include ${JSON.stringify(needed)} (a full user needs it)`);
    }
  }
  const timings = options.timings ?? {};
  assertPlainObject(`${WHERE}.timings`, timings as unknown);
  assertKnownKeys(`${WHERE}.timings`, timings, TIMING_KEYS);
  const skip = options.skip ?? {};
  assertPlainObject(`${WHERE}.skip`, skip as unknown);
  assertKnownKeys(`${WHERE}.skip`, skip, FLOW_IDS, 'flow');
  for (const [id, reason] of Object.entries(skip)) text(reason, `skip.${id}`);
  const ran = options.privileged.ran ?? ranByDefault;
  return {
    ...options,
    timings: {
      ttlSec: positive(timings.ttlSec, 'ttlSec', 3, 1),
      clockToleranceSec: positive(timings.clockToleranceSec, 'clockToleranceSec', 0),
      warnBeforeSec: positive(timings.warnBeforeSec, 'warnBeforeSec', 30, 1),
      skewMinutes: positive(timings.skewMinutes, 'skewMinutes', 5, 1),
    },
    skip,
    ran: (ack) => ran(ack),
  };
}
