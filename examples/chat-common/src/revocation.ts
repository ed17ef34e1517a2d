import { MemoryRevocationStore } from '@sockauth/core';
import type { ChatConfig } from './config.js';
import { MAX_TTL_SEC } from './identity-provider.js';

/**
 * How the demo keeps revocations, shared by both examples and both store modes (memory, `REDIS_URL`).
 *
 * - Every token the demo mints (`POST /auth/login`, `npm run demo:token`) lives at most {@link MAX_TTL_SEC}, and a
 *   revoked one stays acceptable until `exp` plus the clock tolerance: revocations are kept that long, so a
 *   revoked token never works again (a shorter retention would forget the revocation first).
 * - Both mint on this host with millisecond `iat`: the issuer's clock is the server's, so `revoke({ subject })`
 *   needs no skew allowance and a user can log in again right after being revoked.
 */
export const DEMO_ISSUER_CLOCK_SKEW_SEC = 0;

/** The retention (seconds) that covers the demo's longest token: {@link MAX_TTL_SEC} plus the clock tolerance. */
export function revocationRetentionSec(config: Pick<ChatConfig, 'clockToleranceSec'>): number {
  return MAX_TTL_SEC + Math.ceil(config.clockToleranceSec);
}

/**
 * The in-memory revocation store of the demo (no `REDIS_URL`), kept as long as {@link revocationRetentionSec}.
 *
 * @example
 * ```ts
 * createSockAuth({ verifier, revocationStore: demoMemoryStore(config), issuerClockSkewSec: DEMO_ISSUER_CLOCK_SKEW_SEC });
 * ```
 */
export function demoMemoryStore(config: Pick<ChatConfig, 'clockToleranceSec'>): MemoryRevocationStore {
  return new MemoryRevocationStore({ retentionSec: revocationRetentionSec(config) });
}
