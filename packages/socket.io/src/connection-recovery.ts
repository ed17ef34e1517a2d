import { AuthIdentityMismatchError, type AuthContext, type AuthError } from '@sockauth/core';
import type { Namespace, Socket } from 'socket.io';

/** Internal Socket.IO members used to re-verify sockets restored by connection state recovery (Socket.IO 4.x). */
interface NamespaceInternals {
  _doConnect(socket: Socket, fn?: unknown): void;
  _createSocket?(client: unknown, auth: Record<string, unknown>): Promise<Socket>;
}
interface SocketInternals {
  _cleanup(): void;
  _error(err: { message: string; data: unknown }): void;
  packet(packet: { type: number; data: unknown }): void;
  client: { conn: { readyState: string } };
}
interface RestoredSession {
  readonly missedPackets: unknown[];
}
interface AdapterInternals {
  restoreSession(pid: string, offset: string): Promise<RestoredSession | null> | RestoredSession | null;
}
/** socket.io-parser `PacketType.EVENT`. */
const EVENT_PACKET = 2;

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
 * presents another identity, is refused like a failed handshake.
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

  constructor(host: RecoveryHost) {
    this.#host = host;
  }

  /**
   * Installs the interception on a namespace (Socket.IO 4.x internals; a no-op where they are missing, and where
   * the server does not restore sessions: nothing to intercept, and no cost per handshake).
   */
  guard(nsp: Namespace): void {
    const internals = nsp as unknown as NamespaceInternals;
    if (typeof internals._doConnect !== 'function' || !restoresSessions(nsp)) return;
    const doConnect = internals._doConnect.bind(nsp);
    const connect = (socket: Socket, fn?: unknown): void => {
      const held = this.#heldPackets.get(socket);
      if (held !== undefined) {
        this.#heldPackets.delete(socket);
        for (const data of held) (socket as unknown as SocketInternals).packet({ type: EVENT_PACKET, data });
      }
      doConnect(socket, fn);
    };
    if (typeof internals._createSocket === 'function') {
      const createSocket = internals._createSocket.bind(nsp);
      internals._createSocket = async (client, auth) => {
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
      };
    }
    internals._doConnect = (socket: Socket, fn?: unknown): void => {
      if (!socket.recovered || this.#host.isAuthenticated(socket)) return connect(socket, fn);
      const s = socket as unknown as SocketInternals;
      this.#host.authenticate(socket).then(
        () => {
          if (s.client.conn.readyState !== 'open') {
            this.#host.release(socket);
            this.#heldPackets.delete(socket);
            s._cleanup();
            return;
          }
          connect(socket, fn);
        },
        (error: AuthError) => {
          delete (socket.data as { auth?: unknown } | undefined)?.auth;
          this.#heldPackets.delete(socket);
          s._cleanup();
          if (s.client.conn.readyState === 'open') {
            s._error({ message: error.message, data: { code: error.code, action: error.action } });
          }
        },
      );
    };
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
   * A recovered socket regains the rooms and missed packets of the socket it replaces: only the same subject and
   * session may have them. A session persisted without the marker cannot be vouched for and is refused too.
   */
  assertSameIdentity(socket: Socket, context: AuthContext): void {
    const data = socket.data as Record<string, unknown> | undefined;
    const before = data?.[RECOVERY_IDENTITY] as { subject?: unknown; sessionId?: unknown } | undefined;
    if (data !== undefined) delete data[RECOVERY_IDENTITY];
    if (before?.subject !== context.subject || before.sessionId !== context.sessionId) {
      throw new AuthIdentityMismatchError('recovered session belongs to another identity');
    }
  }

  /** Wraps the namespace adapter's `restoreSession` (once per adapter instance) to hold missed packets back. */
  #holdMissedPackets(nsp: Namespace): void {
    const adapter = nsp.adapter as unknown as AdapterInternals;
    if (this.#restoring.has(adapter) || typeof adapter.restoreSession !== 'function') return;
    this.#restoring.add(adapter);
    const restore = adapter.restoreSession.bind(adapter);
    adapter.restoreSession = async (pid, offset) => {
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
  const server = nsp?.server as unknown as { opts?: { connectionStateRecovery?: unknown } } | undefined;
  return Boolean(server?.opts?.connectionStateRecovery);
}
