import { assertKnownKeys, assertPlainObject, type KnownKeys } from '@sockauth/core/option-keys';
import type { BackoffPolicy } from './backoff.js';
import type { RefreshWindow } from './schedule.js';

/**
 * A token as the app hands it over: the compact JWT, or `{ token, expiresAt }` when the token is opaque (or the
 * app already knows its expiry, in ms since the epoch on the issuer's clock, e.g. from its login response).
 */
export type TokenResult = string | { readonly token: string; readonly expiresAt?: number };

/** Where refresh happens before expiry, in seconds before `exp`. Defaults: `{ startSec: 60, endSec: 10 }`. */
export interface RefreshWindowOptions {
  /** The window opens this long before expiry. */
  readonly startSec?: number;
  /** The window closes this long before expiry (less than `startSec`). */
  readonly endSec?: number;
}

/** Exponential backoff with full jitter. Defaults: `{ baseMs: 500, capMs: 30_000, maxAttempts: 10 }`. */
export interface BackoffOptions {
  /** Ceiling of the first retry delay. */
  readonly baseMs?: number;
  /** Ceiling of every retry delay. */
  readonly capMs?: number;
  /** Attempts in one sequence (reconnections, or in-band refresh retries) before giving up. `0`: never retry. */
  readonly maxAttempts?: number;
}

/**
 * What every flavour of the client takes (Socket.IO: `AuthClientOptions`; plain WebSocket:
 * `WebSocketAuthClientOptions`): the token supply, the refresh window, the retry policy and the ack timeout.
 *
 * @example
 * ```ts
 * const common: AuthClientBaseOptions = { getToken: () => tokens.access, refresh: () => api.refresh() };
 * createAuthClient({ url: 'https://chat.example.com', ...common });
 * createWebSocketAuthClient({ url: 'wss://chat.example.com/ws', ...common });
 * ```
 */
export interface AuthClientBaseOptions {
  /**
   * The app's current access token, read at every handshake (so every reconnect presents the newest token).
   * Return `undefined` when there is none (the server then refuses with `AUTH_MISSING`). Optional: without it,
   * tokens come only from `refresh()`.
   */
  readonly getToken?: () => TokenResult | null | undefined | Promise<TokenResult | null | undefined>;
  /**
   * Gets a fresh access token from the app's backend — over HTTPS, never over the socket — stores it where
   * `getToken()` reads it, and returns it. The client never calls it concurrently (refresh tokens often rotate).
   * To end the session, throw an error whose `code` is a sockauth code with action `login` (e.g. an `AuthError`,
   * or `{ code: 'AUTH_REVOKED' }` from a 401 body). To refuse the user a token by policy (a suspended tenant),
   * throw one with action `none` (`{ code: 'AUTH_FORBIDDEN' }` from a 403 body): while reconnecting the client
   * then stops in state `forbidden`; in band the token in force stays. Any other error is treated as transient and
   * retried.
   */
  readonly refresh: () => Promise<TokenResult>;
  /** When to refresh before expiry (jittered). See {@link RefreshWindowOptions}. */
  readonly refreshWindow?: RefreshWindowOptions;
  /** Retry policy for reconnections and in-band refresh. See {@link BackoffOptions}. */
  readonly backoff?: BackoffOptions;
  /** How long an emit waits for its ack (default 10 000 ms). */
  readonly ackTimeoutMs?: number;
  /** Connect at once (default `true`); otherwise call {@link AuthClient.connect}. */
  readonly autoConnect?: boolean;
  /**
   * Refresh before expiry and after an `AUTH_EXPIRED` cut (default `true`). When `false`, an expired token leaves
   * the client in state `expired` until the app calls {@link AuthClient.refreshNow}.
   */
  readonly autoRefresh?: boolean;
  /** Source of randomness for jitter, in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
  /**
   * The local clock in ms since the epoch (default `Date.now`). Timers still run in real time: this only moves
   * what the client believes the time is, which is how a test reproduces a device whose clock is off by minutes.
   *
   * @example
   * ```ts
   * // A laptop whose clock runs five minutes fast.
   * createAuthClient({ url, getToken, refresh, now: () => Date.now() + 5 * 60_000 });
   * ```
   */
  readonly now?: () => number;
}

/** Every option of {@link AuthClientBaseOptions}: the typecheck fails if the two drift apart. */
export const BASE_OPTION_KEYS = {
  getToken: true,
  refresh: true,
  refreshWindow: true,
  backoff: true,
  ackTimeoutMs: true,
  autoConnect: true,
  autoRefresh: true,
  random: true,
  now: true,
} as const satisfies KnownKeys<AuthClientBaseOptions>;
const REFRESH_WINDOW_OPTION_KEYS = { startSec: true, endSec: true } as const satisfies KnownKeys<RefreshWindowOptions>;
const BACKOFF_OPTION_KEYS = { baseMs: true, capMs: true, maxAttempts: true } as const satisfies KnownKeys<BackoffOptions>;

/** Options after validation and defaults. */
export interface ResolvedOptions {
  readonly getToken: AuthClientBaseOptions['getToken'];
  readonly refresh: () => Promise<TokenResult>;
  readonly window: RefreshWindow;
  readonly backoff: BackoffPolicy;
  readonly ackTimeoutMs: number;
  readonly autoConnect: boolean;
  readonly autoRefresh: boolean;
  readonly random: () => number;
  readonly now: () => number;
}

export const DEFAULT_REFRESH_WINDOW = Object.freeze({ startSec: 60, endSec: 10 });
export const DEFAULT_BACKOFF = Object.freeze({ baseMs: 500, capMs: 30_000, maxAttempts: 10 });
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

function number(value: unknown, name: string, fallback: number, check: (n: number) => boolean, rule: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
    throw new TypeError(`sockauth client: "${name}" must be ${rule}`);
  }
  return value;
}

/**
 * Validates `options` and applies the defaults. Throws a TypeError naming the offending option. `keys` are the
 * options the flavour accepts (`where` names it in the error), so an unknown key is refused whatever the flavour.
 */
export function resolveOptions(
  options: AuthClientBaseOptions,
  keys: Readonly<Record<string, true>>,
  where: string,
): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('sockauth client: options are required');
  assertKnownKeys(where, options, keys);
  if (typeof options.refresh !== 'function') throw new TypeError('sockauth client: "refresh" must be a function');
  if (options.getToken !== undefined && typeof options.getToken !== 'function') {
    throw new TypeError('sockauth client: "getToken" must be a function');
  }
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw new TypeError('sockauth client: "random" must be a function');
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('sockauth client: "now" must be a function');
  }
  const w = options.refreshWindow ?? {};
  assertPlainObject(`${where}.refreshWindow`, w as unknown);
  assertKnownKeys(`${where}.refreshWindow`, w, REFRESH_WINDOW_OPTION_KEYS);
  const startSec = number(w.startSec, 'refreshWindow.startSec', DEFAULT_REFRESH_WINDOW.startSec, (n) => n > 0, 'a positive number');
  const endSec = number(w.endSec, 'refreshWindow.endSec', Math.min(DEFAULT_REFRESH_WINDOW.endSec, startSec / 2), (n) => n >= 0 && n < startSec, 'a number from 0 to less than startSec');
  const b = options.backoff ?? {};
  assertPlainObject(`${where}.backoff`, b as unknown);
  assertKnownKeys(`${where}.backoff`, b, BACKOFF_OPTION_KEYS);
  const baseMs = number(b.baseMs, 'backoff.baseMs', DEFAULT_BACKOFF.baseMs, (n) => n > 0, 'a positive number');
  const capMs = number(b.capMs, 'backoff.capMs', Math.max(DEFAULT_BACKOFF.capMs, baseMs), (n) => n >= baseMs, 'a number not below baseMs');
  const maxAttempts = number(b.maxAttempts, 'backoff.maxAttempts', DEFAULT_BACKOFF.maxAttempts, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
  return {
    getToken: options.getToken,
    refresh: options.refresh,
    window: { startMs: startSec * 1000, endMs: endSec * 1000 },
    backoff: { baseMs, capMs, maxAttempts },
    ackTimeoutMs: number(options.ackTimeoutMs, 'ackTimeoutMs', DEFAULT_ACK_TIMEOUT_MS, (n) => n > 0, 'a positive number'),
    autoConnect: options.autoConnect ?? true,
    autoRefresh: options.autoRefresh ?? true,
    random: options.random ?? Math.random,
    // Read at each call, so fake timers installed after the client was created still apply.
    now: options.now ?? (() => Date.now()),
  };
}
