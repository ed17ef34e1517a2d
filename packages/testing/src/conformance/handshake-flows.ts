import { ConformanceFailure } from './failure.js';
import type { FlowContext } from './flow-context.js';
import type { FlowDefinition } from './flow.js';

/**
 * How long after the handshake's answer the flow listens for an ack of the early event. There is no event for
 * "it was not handled": a server that handles it answers within a round trip, far less than this.
 */
const QUIET_MS = 300;

export const preHandshakeEvents: FlowDefinition = {
  id: 'pre-handshake-events',
  title: 'handshake: an event sent before the handshake is answered is never handled (expired, invalid or no token)',
  timeoutMs: () => 20_000,
  async run(context: FlowContext) {
    const user = context.user();
    const expired = await context.token(user, { ttlSec: -120 });
    const cases = [
      ['an expired token', expired],
      ['an invalid token', `${expired.slice(0, -8)}AAAAAAAA`],
      ['no token', undefined],
    ] as const;
    for (const [what, token] of cases) {
      const outcome = await context.driver.sendBeforeHandshake(context.server.url, token, context.options.privileged.request(context.key(), context.scope), {
        timeoutMs: 5_000,
        quietMs: QUIET_MS,
      });
      const handled = outcome.acks.find((ack) => context.options.ran(ack));
      if (handled !== undefined) {
        throw new ConformanceFailure(
          'HANDLED_BEFORE_HANDSHAKE',
          `with ${what}, an event sent right behind the handshake was handled (ack ${JSON.stringify(handled)}; handshake ${outcome.handshake.accepted ? 'accepted' : `refused ${outcome.handshake.code ?? ''}`})`,
          'authenticate in the handshake (Socket.IO: a namespace middleware calling next(err)), before any event handler is attached; never verify the token after accepting the connection',
        );
      }
    }
  },
};
