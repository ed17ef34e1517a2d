import { ConformanceFailure } from './failure.js';
import type { ConformanceConnection } from './driver.js';
import { TIMED_OUT, within, type FlowContext } from './flow-context.js';
import type { FlowDefinition } from './flow.js';
import type { ResolvedConformanceOptions } from './options.js';

/** How late after `exp + tolerance` a cut may come on a loaded machine before it counts as missing. */
export const CUT_SLACK_MS = 2_000;
/** How much before `exp` a cut may be seen and still count as at `exp` (timer and clock granularity). */
export const EARLY_TOLERANCE_MS = 50;
/** Pause between two sends of the active exchange. */
const EXCHANGE_EVERY_MS = 100;

/** When the server must have cut a socket whose token expires at `expiresAt` (ms). */
function cutDeadline(options: ResolvedConformanceOptions, expiresAt: number): number {
  return expiresAt + options.timings.clockToleranceSec * 1000;
}

const expiryTimeout = (options: ResolvedConformanceOptions): number =>
  (options.timings.ttlSec + options.timings.clockToleranceSec) * 1000 + CUT_SLACK_MS + 10_000;

/** Checks that the connection ended with `auth:error` AUTH_EXPIRED. */
function expectExpiredCut(end: { error: { code: string } | undefined; reason: string }): void {
  if (end.error?.code !== 'AUTH_EXPIRED') {
    throw new ConformanceFailure(
      'CUT_WITHOUT_REASON',
      `the socket was disconnected at expiry (${end.reason}) with ${end.error === undefined ? 'no auth:error' : `auth:error ${end.error.code}`}, not auth:error AUTH_EXPIRED`,
      'send auth:error { code: "AUTH_EXPIRED", action: "refresh" } right before disconnecting an expired socket, so the client refreshes instead of asking the user to log in',
    );
  }
}

/** A connection whose token expires after the expiry flows' lifetime, and when the server must have cut it. */
async function connectExpiring(context: FlowContext): Promise<{ connection: ConformanceConnection; expiresAt: number; deadline: number }> {
  const token = await context.token(context.user());
  const expiresAt = context.expiresAt(token);
  return { connection: await context.connect(token), expiresAt, deadline: cutDeadline(context.options, expiresAt) };
}

function notCut(deadline: number): ConformanceFailure {
  return new ConformanceFailure(
    'NOT_CUT_AT_EXPIRY',
    `the socket was still connected ${Math.round((Date.now() - deadline) / 100) / 10} s after its token's exp (plus the clock tolerance)`,
    'arm a timer per connection at exp + clockTolerance that sends auth:error AUTH_EXPIRED and disconnects it (sockauth: the adapter does it; a hand-written server must not rely on the handshake check alone)',
  );
}

export const expiryIdle: FlowDefinition = {
  id: 'expiry-idle',
  title: 'expiry: a token that expires while the socket is idle gets the socket cut at exp with auth:error AUTH_EXPIRED',
  timeoutMs: expiryTimeout,
  async run(context: FlowContext) {
    const { connection, expiresAt, deadline } = await connectExpiring(context);
    const end = await within(connection.ended, deadline + CUT_SLACK_MS - Date.now());
    if (end === TIMED_OUT) throw notCut(deadline);
    expectExpiredCut(end);
    if (end.at < expiresAt - EARLY_TOLERANCE_MS) {
      throw new ConformanceFailure(
        'PREMATURE_EXPIRY',
        `the socket was cut for expiry ${expiresAt - end.at} ms before its token's exp`,
        'cut at exp + clockTolerance on the server\'s clock, never before exp: a client that refreshes in the last seconds (auth:expiring) must get the chance',
      );
    }
  },
};

export const expiryActive: FlowDefinition = {
  id: 'expiry-active',
  title: 'expiry: nothing is handled after exp during an active exchange',
  timeoutMs: expiryTimeout,
  async run(context: FlowContext) {
    const { connection, deadline } = await connectExpiring(context);
    const late: { sentAt: number; ack: unknown }[] = [];
    const pending: Promise<void>[] = [];
    let ended = false;
    void connection.ended.then(() => (ended = true));
    // Keeps the privileged event flowing from before exp until the cut (or well past the deadline).
    while (!ended && Date.now() < deadline + CUT_SLACK_MS) {
      const sentAt = Date.now();
      pending.push(
        context.privileged(connection).then(({ ran, ack }) => {
          // An event sent after the deadline that ran: handled with an expired token.
          if (ran && sentAt > deadline) late.push({ sentAt, ack });
        }),
      );
      await within(connection.ended, EXCHANGE_EVERY_MS);
    }
    await Promise.all(pending);
    if (late.length > 0) {
      throw new ConformanceFailure(
        'HANDLED_AFTER_EXPIRY',
        `${late.length} event(s) sent after exp (the first ${late[0]!.sentAt - deadline} ms after it) were handled, e.g. ack ${JSON.stringify(late[0]!.ack)}`,
        'check the token\'s expiry on every inbound event (or cut the socket at exp), not only at the handshake; an expired context must never handle an event',
      );
    }
    const end = await within(connection.ended, 0);
    if (end === TIMED_OUT) throw notCut(deadline);
    expectExpiredCut(end);
  },
};
