import { mapVerificationError } from '@sockauth/core';
import type { Socket } from 'socket.io';
import type { SockAuthHooks, SockAuthOptions } from './options.js';
import { REFRESH_EVENT, ackPacket, type RefreshAck } from './protocol.js';
import { safely, where, type Reporter } from './reporter.js';
import type { SocketState, SocketStates } from './socket-state.js';

/** What in-band re-auth needs from the `SockAuth` it serves. */
export interface ReauthDeps {
  readonly states: SocketStates;
  readonly reporter: Reporter;
  readonly hooks: SockAuthHooks;
  readonly onContextChange: SockAuthOptions['onContextChange'];
}

/**
 * In-band re-auth: an `auth:refresh` event carrying a new token replaces the socket's context without a
 * reconnect. The event's ack gets the new expiry and version, or the refusal.
 */
export class Reauth {
  readonly #deps: ReauthDeps;

  constructor(deps: ReauthDeps) {
    this.#deps = deps;
  }

  /** Handles one `auth:refresh` packet of an authenticated socket (rate limiting already applied). */
  refresh(socket: Socket, state: SocketState, packet: unknown[]): void {
    // The callbacks below keep this one reference, not one per dependency: a re-auth storm stays lean.
    const deps = this.#deps;
    const payload = packet[1];
    const token = typeof payload === 'object' && payload !== null ? (payload as { token?: unknown }).token : undefined;
    const previous = state.auth.context;
    const onVerify = deps.hooks.onVerify;
    const startedAt = onVerify === undefined ? 0 : performance.now();
    const verifying = state.auth.reauthenticate(token);
    (onVerify === undefined ? verifying : deps.reporter.timed(verifying, 'reauth', startedAt)).then(
      (current) => {
        // socket.data and the revocation index were updated when the re-auth committed (`onReauthenticated`).
        if (deps.states.get(socket) !== state) return;
        safely(() => deps.hooks.onReauth?.({ socketId: socket.id, subject: current.subject, version: current.version }));
        deps.reporter.log(
          'info',
          { sockauth: 'reauthenticated', ...where(socket), subject: current.subject, version: current.version },
          'sockauth: socket re-authenticated',
        );
        ackPacket(packet, { ok: true, expiresAt: current.expiresAt, version: current.version } satisfies RefreshAck);
        if (deps.onContextChange !== undefined && previous !== undefined) {
          const onChange = deps.onContextChange;
          Promise.resolve()
            .then(() => onChange(socket, { previous, current }))
            .catch(() => undefined);
        }
      },
      (error: unknown) => {
        const authError = mapVerificationError(error);
        deps.reporter.failure(authError, 'reauth', socket, REFRESH_EVENT);
        ackPacket(packet, { ok: false, error: authError.toJSON() } satisfies RefreshAck);
      },
    );
  }
}
