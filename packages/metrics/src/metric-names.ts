/**
 * The metrics sockauth reports, by role: Prometheus names, after the prefix (default `sockauth_`). OpenTelemetry
 * instruments carry the same data under {@link OTEL_METRIC_NAMES} (default prefix `sockauth.`).
 *
 * | name | type | labels / attributes |
 * | --- | --- | --- |
 * | `handshakes_total` | counter | `stage` (handshake, recovery), `outcome` (accepted, refused), `code` (refusals) |
 * | `reauths_total` | counter | `outcome` (accepted, refused), `code` (refusals) |
 * | `event_refusals_total` | counter | `code` (AUTH_FORBIDDEN, AUTH_EXPIRED, AUTH_UNAVAILABLE for the rate limit, …) |
 * | `expiries_total` | counter | |
 * | `revocations_total` | counter | `kind` (subject, session, token): live sockets cut |
 * | `room_evictions_total` | counter | `code`: rooms left because the context in force may no longer be in them |
 * | `room_join_refusals_total` | counter | `code`: joins refused by the room policy or the `authorize` hook |
 * | `session_downgrades_total` | counter | `reason` (reauth, reevaluate): live contexts replaced by one with fewer permissions |
 * | `authenticated_sockets` | gauge | live authenticated sockets on this node |
 * | `anonymous_sockets` | gauge | sockets connected without authentication (open namespaces or paths) on this node |
 * | `verify_duration_seconds` | histogram | `stage` (handshake, recovery, reauth), `outcome` |
 * | `revocation_lag_seconds` | histogram | `kind` (subject, session, token): from the revocation's record to the cut here |
 */
export const METRIC_NAMES = Object.freeze({
  handshakes: 'handshakes_total',
  reauths: 'reauths_total',
  eventRefusals: 'event_refusals_total',
  expiries: 'expiries_total',
  revocations: 'revocations_total',
  roomEvictions: 'room_evictions_total',
  roomJoinRefusals: 'room_join_refusals_total',
  downgrades: 'session_downgrades_total',
  authenticatedSockets: 'authenticated_sockets',
  anonymousSockets: 'anonymous_sockets',
  verifyDuration: 'verify_duration_seconds',
  revocationLag: 'revocation_lag_seconds',
});

/**
 * OpenTelemetry instrument names (after the prefix, default `sockauth.`): no `_total`/unit suffixes, which are
 * the exporters' business, and a dotted namespace for the durations (`sockauth.verify.duration` and
 * `sockauth.revocation.lag`, in seconds).
 */
export const OTEL_METRIC_NAMES: Readonly<Record<keyof typeof METRIC_NAMES, string>> = Object.freeze({
  handshakes: 'handshakes',
  reauths: 'reauths',
  eventRefusals: 'event_refusals',
  expiries: 'expiries',
  revocations: 'revocations',
  roomEvictions: 'room_evictions',
  roomJoinRefusals: 'room_join_refusals',
  downgrades: 'session_downgrades',
  authenticatedSockets: 'authenticated_sockets',
  anonymousSockets: 'anonymous_sockets',
  verifyDuration: 'verify.duration',
  revocationLag: 'revocation.lag',
});

/** Help texts shared by both exporters. */
export const METRIC_HELP: Readonly<Record<keyof typeof METRIC_NAMES, string>> = Object.freeze({
  handshakes: 'Socket handshakes (and connection-state recoveries) accepted or refused, by refusal code',
  reauths: 'In-band re-authentications (auth:refresh) accepted or refused, by refusal code',
  eventRefusals: 'Events refused before any handler, by code',
  expiries: 'Live sockets disconnected because their token expired',
  revocations: 'Live sockets disconnected by a revocation, by what was revoked',
  roomEvictions: 'Rooms left because the context in force may no longer be in them, by code',
  roomJoinRefusals: 'Room joins refused by the room policy or the authorize hook, by code',
  downgrades: 'Live sessions whose context was replaced by one with fewer permissions, by reason (reauth, reevaluate)',
  authenticatedSockets: 'Authenticated sockets currently connected to this node',
  anonymousSockets: 'Sockets connected to this node without authentication (skipNamespaces, @Public() gateways)',
  verifyDuration: 'Time to verify a token (signature, claims, revocation check), in seconds',
  revocationLag: 'Time from a revocation being recorded to a live socket it applies to being cut on this node, in seconds',
});

/**
 * Default histogram buckets for verify latency, in seconds: HMAC verification takes tens of microseconds, a
 * remote JWKS fetch or a slow revocation store tens of milliseconds or more.
 */
export const DEFAULT_VERIFY_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
]);

/**
 * Default histogram buckets for revocation lag, in seconds: on the node that made the revocation, or through
 * Redis pub/sub, a cut follows within milliseconds; seconds mean a node that is late to hear of revocations (a
 * saturated store connection, a subscriber reconnecting), which the `SockAuthRevocationLag` alert watches (1 s).
 */
export const DEFAULT_REVOCATION_LAG_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]);
