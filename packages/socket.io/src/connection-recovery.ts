import { AuthIdentityMismatchError, type AuthContext, type AuthError } from '@sockauth/core';
import type { Namespace, Socket } from 'socket.io';
import {
  discardSocket,
  interceptRecovery,
  recoveryOptionsOf,
  refuseSocket,
  sendEventPacket,
  sessionIdOf,
} from './socket-io-internals.js';

interface RestoredSession {
  readonly missedPackets: unknown[];
}
interface AdapterWithSessions {
  restoreSession(pid: string, offset: string): Promise<RestoredSession | null> | RestoredSession | null;
}

/** Key in `socket.data` under which the identity of a disconnected socket survives for connection state recovery. */
const RECOVERY_IDENTITY = 'sockauthRecoveryIdentity';

/** What recovery needs from the adapter that owns the sockets. */
export interface RecoveryHost {
  /** True when the socket was already authenticated (the handshake middleware ran for it). */
  isAuthenticated(socket: Socket): boolean;
  /** Verifies the recovered socket's current token and wires it; rejects with an AuthError. */
  authenticate(socket: Socket): Promise<void>;
  /** Forgets a socket that left while it was being verified. */
  release(socket: Socket): void;
}

/**
 * Connection state recovery, made safe. With `connectionStateRecovery.skipMiddlewares`, Socket.IO restores a socket
 * (rooms, `data`, missed packets) without running middlewares. This intercepts the connect step of recovered
 * sockets and verifies their current token first: a socket whose token expired or was revoked meanwhile, or that
 * presents another identity, is refused like a failed handshake. Without `skipMiddlewares` the handshake
 * middleware verifies the token, and the identity check applies all the same.
 *
 * A session refused for another identity is not offered again: socket.io-client keeps resending the `pid` of the
 * session it last had (an app that switches accounts on one client does exactly that), so the retry must be a
 * fresh session, not the same refusal until the session expires.
 *
 * Socket.IO writes a restored session's missed packets to the wire from the `Socket` constructor, before any
 * middleware or check (the client replays them after its next successful connect). So the adapter's
 * `restoreSession` is wrapped to hold them back, and they are sent only once the socket is accepted.
 */
export class ConnectionRecovery {
  readonly #host: RecoveryHost;
  /** Adapters whose `restoreSession` is already wrapped. */
  readonly #restoring = new WeakSet<object>();
  /** Missed packets held back between `restoreSession` and the socket's creation, by private session id. */
  readonly #heldByPid = new Map<string, unknown[]>();
  /** Missed packets held back until the recovered socket is accepted. */
  readonly #heldPackets = new WeakMap<Socket, unknown[]>();
  /**
   * Private session ids refused for another identity, with when their session would have expired anyway. Only a
   * client that held a session knows its pid, so this grows with real sessions, not with an attacker's guesses.
   */
  readonly #refusedPids = new Map<string, number>();

  constructor(host: RecoveryHost) {
    this.#host = host;
  }

  /**
   * Installs the interception on a namespace (a no-op where the server does not restore sessions: nothing to
   * intercept, and no cost per handshake). `attach()` checked the internals it wraps.
   */
  guard(nsp: Namespace): void {
    if (!restoresSessions(nsp)) return;
    interceptRecovery(nsp, {
      createSocket: (createSocket) => async (client, auth) => {
        this.#holdMissedPackets(nsp);
        const pid = typeof auth?.['pid'] === 'string' ? auth['pid'] : undefined;
        let socket: Socket;
        let held: unknown[] | undefined;
        try {
          socket = await createSocket(client, auth);
        } finally {
          if (pid !== undefined) {
            held = this.#heldByPid.get(pid);
            this.#heldByPid.delete(pid);
          }
        }
        if (held !== undefined && socket.recovered) this.#heldPackets.set(socket, held);
        return socket;
      },
      doConnect: (doConnect) => {
        const connect = (socket: Socket, fn?: unknown): void => {
          const held = this.#heldPackets.get(socket);
          if (held !== undefined) {
            this.#heldPackets.delete(socket);
            for (const data of held) sendEventPacket(socket, data);
          }
          doConnect(socket, fn);
        };
        return (socket, fn) => {
          if (!socket.recovered || this.#host.isAuthenticated(socket)) return connect(socket, fn);
          this.#host.authenticate(socket).then(
            () => {
              if (socket.client.conn.readyState !== 'open') {
                this.#host.release(socket);
                this.#heldPackets.delete(socket);
                discardSocket(socket);
                return;
              }
              connect(socket, fn);
            },
            (error: AuthError) => {
              delete (socket.data as { auth?: unknown } | undefined)?.auth;
              this.#heldPackets.delete(socket);
              discardSocket(socket);
              if (socket.client.conn.readyState === 'open') {
                refuseSocket(socket, { message: error.message, data: { code: error.code, action: error.action } });
              }
            },
          );
        };
      },
    });
  }

  /**
   * Called as a socket is released: connection state recovery persists `socket.data` after 'disconnecting', so
   * keep only who this socket was (never the context itself, which would go stale).
   */
  rememberIdentity(socket: Socket, context: AuthContext): void {
    const data = socket.data as Record<string, unknown> | undefined;
    if (data === undefined || !restoresSessions(socket.nsp)) return;
    const { subject, sessionId } = context;
    data[RECOVERY_IDENTITY] = sessionId === undefined ? { subject } : { subject, sessionId };
  }

  /**
   * A recovered socket regains the rooms, `data` and missed packets of the socket it replaces: only the same
   * identity may have them, by the rule of re-auth (same subject, same session id or none on both sides). A session
   * persisted without the marker cannot be vouched for and is refused too. A refused session is never restored
   * again on this node (see the class comment); the marker stays, so it is never vouched for by the refusal itself.
   * A no-op for a socket that was not recovered.
   */
  assertSameIdentity(socket: Socket, context: AuthContext): void {
    if (!socket.recovered) return;
    const data = socket.data as Record<string, unknown> | undefined;
    const before = data?.[RECOVERY_IDENTITY] as { subject?: unknown; sessionId?: unknown } | undefined;
    if (before?.subject !== context.subject || before.sessionId !== context.sessionId) {
      this.#refuseSession(socket);
      throw new AuthIdentityMismatchError('recovered session belongs to another identity');
    }
    delete data![RECOVERY_IDENTITY];
  }

  /** Forgets the session of `socket` on this node: the next attempt with its pid starts a fresh session. */
  #refuseSession(socket: Socket): void {
    const pid = sessionIdOf(socket);
    if (pid === undefined) return;
    const now = Date.now();
    // Insertion order is expiry order (one duration for every entry): drop the expired ones from the front.
    for (const [refused, until] of this.#refusedPids) {
      if (until > now) break;
      this.#refusedPids.delete(refused);
    }
    this.#refusedPids.delete(pid);
    this.#refusedPids.set(pid, now + recoveryWindowMs(socket.nsp));
  }

  /** True while `pid` was refused for another identity and its session could still be restored. */
  #isRefused(pid: string): boolean {
    const until = this.#refusedPids.get(pid);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#refusedPids.delete(pid);
    return false;
  }

  /** Wraps the namespace adapter's `restoreSession` (once per adapter instance) to hold missed packets back. */
  #holdMissedPackets(nsp: Namespace): void {
    const adapter = nsp.adapter as unknown as AdapterWithSessions;
    if (this.#restoring.has(adapter) || typeof adapter.restoreSession !== 'function') return;
    this.#restoring.add(adapter);
    const restore = adapter.restoreSession.bind(adapter);
    adapter.restoreSession = async (pid, offset) => {
      if (this.#isRefused(pid)) return null;
      const session = await restore(pid, offset);
      if (session === null || session === undefined || !Array.isArray(session.missedPackets) || session.missedPackets.length === 0) {
        return session;
      }
      this.#heldByPid.set(pid, session.missedPackets);
      return { ...session, missedPackets: [] };
    };
  }
}

/** True when the namespace's server has connection state recovery on (`new Server({ connectionStateRecovery })`). */
function restoresSessions(nsp: Namespace | undefined): boolean {
  return nsp !== undefined && recoveryOptionsOf(nsp.server) !== undefined;
}

/** How long a disconnected session may be restored (Socket.IO's default: 2 minutes). */
function recoveryWindowMs(nsp: Namespace): number {
  const duration = recoveryOptionsOf(nsp.server)?.maxDisconnectionDuration;
  return typeof duration === 'number' && duration > 0 ? duration : 2 * 60_000;
}
