/**
 * The conformance suite catches each flaw it is meant to catch, and only that, on Socket.IO: its runner-agnostic core
 * is run directly (flaw-failures.ts) against a sound hand-written server, then against the same server with one flaw
 * switched on, and the set of failing flows and their codes is compared. ws-flaw-detection.spec.ts does the same
 * on plain WebSockets.
 */
import type { ConformanceFailureCode, FlowId } from '@sockauth/testing';
import { FLAW_RUN_TIMEOUT_MS, flawFailures } from './flaw-failures';
import { startFlawedChatServer, type Flaw } from './flawed-chat-server';

const failures = (flaws: readonly Flaw[]) => flawFailures(startFlawedChatServer, flaws);
const FLOW_TIMEOUT_MS = FLAW_RUN_TIMEOUT_MS;

it('a sound server passes every flow', async () => {
  expect(await failures([])).toEqual({});
}, FLOW_TIMEOUT_MS);

it.each<[Flaw, Partial<Record<FlowId, ConformanceFailureCode>>]>([
  // The client flows that need the cut see it missing too: the client never learns it must give up or reconnect.
  [
    'no-expiry-cut',
    {
      'expiry-idle': 'NOT_CUT_AT_EXPIRY',
      'expiry-active': 'HANDLED_AFTER_EXPIRY',
      'refresh-unavailable': 'APP_NOT_TOLD',
      'idempotent-resend': 'NOT_CUT_AT_EXPIRY',
    },
  ],
  ['stale-rooms', { 'rooms-left': 'ROOM_STILL_DELIVERED' }],
  ['tokens-in-logs', { 'tokens-in-logs': 'TOKEN_IN_LOGS' }],
  // Accepting first and verifying later also lets a revoked session in, if only for a moment.
  ['pre-handshake-events', { 'pre-handshake-events': 'HANDLED_BEFORE_HANDSHAKE', 'revoked-reconnect': 'REVOKED_SESSION_RECONNECTED' }],
  ['revoked-reconnect', { 'revoked-reconnect': 'REVOKED_SESSION_RECONNECTED' }],
  ['permissions-from-handshake', { 'role-loss-reauth': 'PERMISSION_KEPT', 'role-loss-restrict': 'PERMISSION_KEPT' }],
  ['revoke-one-tab', { 'logout-other-tab': 'TAB_NOT_CUT' }],
  ['dedupe-per-connection', { 'idempotent-resend': 'DUPLICATE_SIDE_EFFECT' }],
  // Without the warning the client cannot measure the skew: one way its refresh comes too late, the other never.
  ['no-expiry-warning', { 'clock-skew-ahead': 'REFRESH_TOO_LATE', 'clock-skew-behind': 'REFRESH_TOO_LATE' }],
  // A cut without a reason: the client cannot tell an expiry (refresh) from anything else, so it neither reconnects
  // nor tells the app why.
  [
    'silent-cut',
    {
      'expiry-idle': 'CUT_WITHOUT_REASON',
      'expiry-active': 'CUT_WITHOUT_REASON',
      'logout-other-tab': 'CUT_WITHOUT_REASON',
      'refresh-unavailable': 'APP_NOT_TOLD',
      'idempotent-resend': 'CUT_WITHOUT_REASON',
    },
  ],
  ['silent-eviction', { 'rooms-left': 'ROOM_NOT_LEFT' }],
  ['early-cut', { 'expiry-idle': 'PREMATURE_EXPIRY', 'clock-skew-ahead': 'PREMATURE_EXPIRY', 'clock-skew-behind': 'PREMATURE_EXPIRY' }],
])('a server with the flaw %s fails exactly the flows that catch it', async (flaw, expected) => {
  expect(await failures([flaw])).toEqual(expected);
}, FLOW_TIMEOUT_MS);
