import type { AuthContext } from './auth-context.js';
import { REFRESH_EVENT, type RefreshAck } from './protocol.js';
import type { OnContextChange } from './session-options.js';
import { identityOf, safely, type SessionHooks } from './session-hooks.js';
import type { SessionReporter } from './session-reporter.js';
import type { SessionRooms } from './session-rooms.js';
import type { SessionState, SessionStates } from './session-state.js';
import type { SessionTransport } from './session-transport.js';
import { mapVerificationError } from './verification-errors.js';

/** What in-band re-auth needs from the session it serves. */
export interface SessionReauthDeps<H extends object, M> {
  readonly states: SessionStates<H>;
  readonly transport: SessionTransport<H, M>;
  readonly reporter: SessionReporter<H>;
  readonly hooks: SessionHooks;
  readonly rooms: SessionRooms<H> | undefined;
  readonly onContextChange: OnContextChange<H> | undefined;
}

/**
 * In-band re-auth: an `auth:refresh` message carrying a new token replaces the connection's context without a
 * reconnect. Its ack gets the new expiry and version (after the rooms the new context may not be in were left),
 * or the refusal.
 */
export class SessionReauth<H extends object, M> {
  readonly #deps: SessionReauthDeps<H, M>;

  constructor(deps: SessionReauthDeps<H, M>) {
    this.#deps = deps;
  }

  /** Handles one `auth:refresh` message of an authenticated connection (rate limiting already applied). */
  refresh(handle: H, state: SessionState, message: M): void {
    // The callbacks below keep this one reference, not one per dependency: a re-auth storm stays lean.
    const deps = this.#deps;
    const payload = deps.transport.args(message)[0];
    const token = typeof payload === 'object' && payload !== null ? (payload as { token?: unknown }).token : undefined;
    const previous = state.auth.context;
    const reporter = deps.reporter;
    const timed = reporter.timesVerifications;
    const startedAt = timed ? performance.now() : 0;
    const verifying = state.auth.reauthenticate(token);
    (timed ? reporter.timed(verifying, 'reauth', startedAt) : verifying).then(
      async (current) => {
        // The index, the transport's copy of the context and the static room evictions were all updated when the
        // re-auth committed (the session's `onReauthenticated`), in the same tick.
        if (deps.states.get(handle) !== state) return;
        if (deps.rooms !== undefined) await deps.rooms.evictLive(handle, current);
        safely(() =>
          deps.hooks.onReauth?.({ ...reporter.where(handle), ...identityOf(current), version: current.version, expiresAt: current.expiresAt }),
        );
        reporter.log(
          'info',
          { sockauth: 'reauthenticated', ...reporter.where(handle), subject: current.subject, version: current.version },
          'sockauth: connection re-authenticated',
        );
        deps.transport.reply(handle, message, { ok: true, expiresAt: current.expiresAt, version: current.version } satisfies RefreshAck);
        if (deps.onContextChange !== undefined && previous !== undefined) notifyChange(deps.onContextChange, handle, previous, current);
      },
      (error: unknown) => {
        const authError = mapVerificationError(error);
        reporter.failure(authError, 'reauth', handle, REFRESH_EVENT);
        deps.transport.reply(handle, message, { ok: false, error: authError.toJSON() } satisfies RefreshAck);
      },
    );
  }
}

/** Runs the application's `onContextChange` after the ack, never letting it break anything. */
export function notifyChange<H extends object>(onChange: OnContextChange<H>, handle: H, previous: AuthContext, current: AuthContext): void {
  Promise.resolve()
    .then(() => onChange(handle, { previous, current }))
    .catch(() => undefined);
}
