import { createAuditTrail, type AuditHooks } from '@sockauth/core';
import pino from 'pino';
import type { ChatConfig } from './config.js';

/**
 * `AUDIT_LOG=1`: sockauth's audit trail, one JSON line per auth decision (handshake accepted or refused, re-auth,
 * refused event, room left, expiry and revocation cuts, release) on stderr, through pino. Stdout keeps only the
 * `listening on` line of the demo contract. Unset: no trail (`undefined`, which `combineHooks` skips).
 *
 * @example
 * ```ts
 * hooks: combineHooks(prometheusHooks({ client, registry }), demoAuditTrail(config)),
 * // AUDIT_LOG=1 npm run demo 2>&1 >/dev/null | grep '"audit":"sockauth"'
 * ```
 */
export function demoAuditTrail(config: ChatConfig): AuditHooks | undefined {
  if (!config.auditLog) return undefined;
  // Synchronous writes: a record is on stderr before the decision's effect (an ack, a disconnect) reaches the
  // client, and none is lost when the process exits. `base: undefined`: no pid or hostname in each line.
  return createAuditTrail(pino({ name: 'sockauth-audit', base: undefined }, pino.destination({ fd: 2, sync: true })));
}
