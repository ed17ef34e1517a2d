/** Reconnection and retry policy: exponential backoff with full jitter, a cap and a bounded number of attempts. */
export interface BackoffPolicy {
  /** Ceiling of the first delay, in ms. */
  readonly baseMs: number;
  /** No delay ever exceeds this, in ms. */
  readonly capMs: number;
  /** Attempts in one sequence before the client gives up. */
  readonly maxAttempts: number;
}

/**
 * Delay before retry number `attempt` (0-based): uniform in `[0, min(capMs, baseMs * 2^attempt)]` ("full jitter",
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), so clients cut at the same moment do
 * not come back at the same moment.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return unit(random()) * ceiling;
}

/** A `random()` result forced into [0, 1), so a faulty source cannot produce negative or huge delays. */
export function unit(value: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(value, 0), 1 - Number.EPSILON) : 0;
}
