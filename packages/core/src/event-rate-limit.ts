import { assertKnownKeys, type KnownKeys } from './option-keys.js';

/**
 * Per-socket event rate limit: a token bucket per socket, refilled from the clock on each event (no timers).
 *
 * The bucket holds up to `burst` tokens and gains `perSecond` tokens per second. Each event takes one token;
 * an event finding less than one is refused. Refused events still take their token, so the level goes
 * negative: a socket that keeps sending faster than `perSecond` sinks further, and once it is `disconnectAfter`
 * events below empty it is disconnected. A socket that slows down climbs back and is served again; a short
 * overshoot is forgiven after a quiet moment.
 */

/** Options of the per-socket event rate limit (`eventRateLimit` of `SockAuthOptions`). */
export interface EventRateLimitOptions {
  /** Sustained events per second each socket may send. */
  readonly perSecond: number;
  /** Events a socket may send at once, after being quiet (default: one second's worth, at least 1). */
  readonly burst?: number;
  /**
   * How many events beyond its allowance a socket may send before it is disconnected with `auth:error`
   * `AUTH_UNAVAILABLE` (default: 5 × `burst`, at least 10). For a flood faster than the refill, that is the
   * number of refused events tolerated; the refill pays the debt back at `perSecond`. `Infinity` never
   * disconnects; `0` disconnects on the first refusal.
   */
  readonly disconnectAfter?: number;
}

/** Every option of {@link EventRateLimitOptions}: the typecheck fails if the two drift apart. */
const EVENT_RATE_LIMIT_OPTION_KEYS = {
  perSecond: true,
  burst: true,
  disconnectAfter: true,
} as const satisfies KnownKeys<EventRateLimitOptions>;

/** What to do with one event. */
export type RateVerdict = 'allow' | 'refuse' | 'disconnect';

interface Bucket {
  /** Tokens left; negative when the socket has sent more than its allowance. */
  level: number;
  /** When `level` was last brought up to date (ms, from the limiter's clock). */
  at: number;
}

/** Validated limits. */
interface Limits {
  readonly ratePerMs: number;
  readonly burst: number;
  readonly floor: number;
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`sockauth: "eventRateLimit.${name}" must be a positive number`);
  }
  return value;
}

/** Validates `eventRateLimit` (throws `TypeError` at start-up, never at event time). */
function resolveLimits(options: EventRateLimitOptions): Limits {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('sockauth: "eventRateLimit" must be { perSecond, burst?, disconnectAfter? } or false');
  }
  assertKnownKeys('sockAuth options.eventRateLimit', options, EVENT_RATE_LIMIT_OPTION_KEYS);
  const perSecond = positive(options.perSecond, 'perSecond');
  const burst = options.burst === undefined ? Math.max(1, Math.ceil(perSecond)) : positive(options.burst, 'burst');
  if (burst < 1) throw new TypeError('sockauth: "eventRateLimit.burst" must be at least 1');
  const disconnectAfter = options.disconnectAfter ?? Math.max(10, 5 * burst);
  if (typeof disconnectAfter !== 'number' || Number.isNaN(disconnectAfter) || disconnectAfter < 0) {
    throw new TypeError('sockauth: "eventRateLimit.disconnectAfter" must be a non-negative number (or Infinity)');
  }
  // The level of a socket that has just had its (disconnectAfter + 1)-th event refused.
  return { ratePerMs: perSecond / 1000, burst, floor: -disconnectAfter - 1 };
}

/**
 * The token buckets of every socket of one `SockAuth`, keyed weakly by socket so a disconnected socket's bucket
 * is collected with it. Costs one small object per socket and a few arithmetic operations per event.
 */
export class EventRateLimiter {
  readonly #limits: Limits;
  readonly #now: () => number;
  readonly #buckets = new WeakMap<object, Bucket>();

  constructor(options: EventRateLimitOptions, now: () => number) {
    this.#limits = resolveLimits(options);
    this.#now = now;
  }

  /** Accounts one event of `socket` and says whether to handle it, refuse it, or refuse it and disconnect. */
  take(socket: object): RateVerdict {
    const { ratePerMs, burst, floor } = this.#limits;
    const now = this.#now();
    let bucket = this.#buckets.get(socket);
    if (bucket === undefined) {
      bucket = { level: burst, at: now };
      this.#buckets.set(socket, bucket);
    } else if (now > bucket.at) {
      // A clock going backwards adds nothing (and never removes anything).
      bucket.level = Math.min(burst, bucket.level + (now - bucket.at) * ratePerMs);
      bucket.at = now;
    }
    const before = bucket.level;
    bucket.level = before - 1;
    if (before >= 1) return 'allow';
    return bucket.level <= floor ? 'disconnect' : 'refuse';
  }
}
