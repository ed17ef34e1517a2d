/** Why an emit got no acknowledgement. */
export type EmitFailure = 'timeout' | 'disconnected' | 'closed';

/**
 * An event got no acknowledgement: it timed out, the connection dropped before the ack (the server may or may not
 * have handled it — resend with the same idempotency key), or the client is closed / gave up. A *denied* event
 * rejects with an `AuthError` instead.
 *
 * @example
 * ```ts
 * try { await client.emitWithAck('chat:send', msg); } catch (err) {
 *   if (err instanceof EmitError && err.reason !== 'closed') retryLater(msg);
 * }
 * ```
 */
export class EmitError extends Error {
  constructor(
    readonly reason: EmitFailure,
    readonly event: string,
    message: string = defaultMessage(reason, event),
  ) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'EmitError', enumerable: false, configurable: true });
  }
}

function defaultMessage(reason: EmitFailure, event: string): string {
  switch (reason) {
    case 'timeout':
      return `"${event}": no acknowledgement in time`;
    case 'disconnected':
      return `"${event}": disconnected before the acknowledgement`;
    case 'closed':
      return `"${event}": the client is closed or not connected`;
  }
}
