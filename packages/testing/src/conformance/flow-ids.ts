/** The flows of the lifecycle conformance suite, by id (the keys of `skip`). */
export const FLOW_IDS = {
  'expiry-idle': true,
  'expiry-active': true,
  'logout-other-tab': true,
  'role-loss-reauth': true,
  'role-loss-restrict': true,
  'rooms-left': true,
  'refresh-unavailable': true,
  'clock-skew-ahead': true,
  'clock-skew-behind': true,
  'idempotent-resend': true,
  'pre-handshake-events': true,
  'revoked-reconnect': true,
  'tokens-in-logs': true,
  'token-not-echoed': true,
} as const;

/** A flow's id. */
export type FlowId = keyof typeof FLOW_IDS;
