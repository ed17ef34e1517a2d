/**
 * Type tests (compiled by `npm run typecheck`, never run): core's audit trail is, structurally, the adapters' hooks.
 * It plugs into the adapters' `hooks` options as it is, and into `combineHooks`. (Hooks are declared as methods, whose
 * parameters TypeScript compares both ways: that every identifier `AuditHooks` adds to a payload is optional is
 * checked by test/security/audit-trail.spec.ts at run time, not here.)
 */
import { createAuditTrail } from '@sockauth/core';
import { combineHooks } from '@sockauth/metrics';
import type { SockAuthModuleOptions } from '@sockauth/nestjs';
import { createSockAuth, type SockAuthOptions } from '@sockauth/socket.io';

const logger = { info: (obj: object, msg?: string): void => void [obj, msg] };
const verifier: SockAuthOptions['verifier'] = { algorithms: ['HS256'], secret: process.env.JWT_SECRET!, issuer: 'my-idp', audience: 'chat' };

createSockAuth({ verifier, hooks: createAuditTrail(logger) });
createSockAuth({ verifier, hooks: combineHooks({ onRevoke: () => undefined }, createAuditTrail(() => undefined)) });
export const nest: Pick<SockAuthModuleOptions, 'hooks'> = { hooks: createAuditTrail(logger, { level: 'info' }) };
