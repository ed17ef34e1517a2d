import type { ClaimsMapper, RevocationStore, RoomPolicies, VerifierOptions } from '@sockauth/core';
import { CHAT_ROOMS } from './chat-rooms.js';
import type { ChatConfig } from './config.js';
import { restrictedMapClaims, type RestrictionRegistry } from './restrictions.js';
import { DEMO_ISSUER_CLOCK_SKEW_SEC } from './revocation.js';

/** The sockauth options every demo derives from its environment, whatever the adapter. */
export interface DemoAuthOptions {
  readonly verifier: VerifierOptions;
  readonly warnBeforeSec: number;
  readonly allowQueryToken: boolean;
  readonly revocationStore: RevocationStore;
  readonly issuerClockSkewSec: number;
  /** The claims mapping with `POST /admin/restrict`'s withheld permissions applied. */
  readonly mapClaims: ClaimsMapper;
  /** DEMO-CONTRACT "Rooms follow current authorization": every room needs chat:read, `staff-` rooms chat:admin too. */
  readonly rooms: RoomPolicies;
}

/**
 * The options of DEMO-CONTRACT's environment (HS256 with `JWT_SECRET`, `JWT_ISSUER`/`JWT_AUDIENCE`,
 * `CLOCK_TOLERANCE_SEC`, `WARN_BEFORE_SEC`, `ALLOW_QUERY_TOKEN`) for any adapter's factory, with `revocationStore`
 * (memory or Redis), the demos' room policy, and `mapClaims` withholding what `restrictions` denies (memory, or
 * Redis with `REDIS_URL`). The demo's tokens are minted on the server's clock: no issuer clock skew.
 *
 * @example
 * ```ts
 * const wsAuth = createWsAuth({ ...demoAuthOptions(config, store, restrictions), events: CHAT_EVENTS });
 * ```
 */
export function demoAuthOptions(config: ChatConfig, revocationStore: RevocationStore, restrictions: RestrictionRegistry): DemoAuthOptions {
  return {
    verifier: {
      algorithms: ['HS256'],
      secret: config.secret,
      issuer: config.issuer,
      audience: config.audience,
      clockToleranceSec: config.clockToleranceSec,
    },
    warnBeforeSec: config.warnBeforeSec,
    allowQueryToken: config.allowQueryToken,
    revocationStore,
    issuerClockSkewSec: DEMO_ISSUER_CLOCK_SKEW_SEC,
    mapClaims: restrictedMapClaims(restrictions),
    rooms: CHAT_ROOMS,
  };
}
