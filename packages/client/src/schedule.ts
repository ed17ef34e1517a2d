import { unit } from './backoff.js';

/** When, before expiry, a pre-expiry refresh may happen: a random point between `startMs` and `endMs` before `exp`. */
export interface RefreshWindow {
  /** The window opens this long before expiry (ms). */
  readonly startMs: number;
  /** The window closes this long before expiry (ms); always less than `startMs`. */
  readonly endMs: number;
}

/** The window never opens before this fraction of the remaining lifetime has passed. */
const EARLIEST_FRACTION = 0.2;

/**
 * How long before expiry to refresh, given `remainingMs` until expiry: uniform in `[endMs, startMs]`, so clients
 * with the same `exp` refresh spread over the window instead of in the same second.
 *
 * A short-lived token (or a warning received late) leaves less time than the window: the window then opens after
 * 20% of the remaining time (`start = 80%` of it), and keeps as much of its safety margin before expiry as it can
 * (`end = min(endMs, start / 2)`), so the refresh still has time to complete.
 */
export function pickRefreshLead(remainingMs: number, window: RefreshWindow, random: () => number): number {
  const start = Math.min(window.startMs, Math.max(0, remainingMs) * (1 - EARLIEST_FRACTION));
  const end = Math.min(window.endMs, start / 2);
  return end + unit(random()) * (start - end);
}

/** Where the current clock offset comes from. */
export type ClockSource = 'none' | 'token' | 'server';

/**
 * The server's clock as seen from here: `serverNow = Date.now() + offsetMs`. The offset is measured from
 * `auth:expiring` (the server says "expires at T, in N ms": its clock read T - N when it sent it). Before the
 * server has said anything, a freshly issued token's `iat` gives an estimate (1 s resolution); without either, the
 * local clock is assumed right and the server's `auth:expiring` is the safety net.
 */
export class ServerClock {
  #offsetMs = 0;
  #source: ClockSource = 'none';

  constructor(private readonly now: () => number) {}

  get offsetMs(): number {
    return this.#offsetMs;
  }

  get source(): ClockSource {
    return this.#source;
  }

  /** The server's time now. */
  serverNow(): number {
    return this.now() + this.#offsetMs;
  }

  /** Local `Date.now()` value at which the server's clock reads `serverTime`. */
  toLocal(serverTime: number): number {
    return serverTime - this.#offsetMs;
  }

  /** The server's clock read `serverTime` when it sent what we received at local time `receivedAt`. */
  observeServerTime(serverTime: number, receivedAt: number = this.now()): void {
    // Latency makes the server look slightly behind (by the one-way delay): a few ms, on the late side of the window.
    this.#offsetMs = serverTime - receivedAt;
    this.#source = 'server';
  }

  /** A token issued (`iat`, seconds) just before local time `receivedAt`. Ignored once the server measured. */
  observeIssuedAt(issuedAtSec: number, receivedAt: number = this.now()): void {
    if (this.#source === 'server') return;
    // `iat` is truncated to the second: the issuer's clock read somewhere in [iat, iat + 1 s) at issue time.
    const estimate = issuedAtSec * 1000 + 500 - receivedAt;
    this.#offsetMs = Math.abs(estimate) <= 1000 ? 0 : estimate;
    this.#source = 'token';
  }
}
