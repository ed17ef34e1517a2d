import type { ConnectionAuth } from '@sockauth/core';
import type { Socket } from 'socket.io';

/** Per-socket state, kept outside `socket.data` so it is never persisted by connection state recovery. */
export interface SocketState {
  readonly auth: ConnectionAuth;
  /** Keeps per-socket event checks in arrival order when a live `authorize` hook makes them asynchronous. */
  queue: Promise<void>;
  /** How the socket authenticated. */
  readonly stage: 'handshake' | 'recovery';
  /** Set once the socket is connected and `onAuthenticated` ran: it then gets exactly one `onRelease`. */
  live: boolean;
}

/** Where the parts of a `SockAuth` that only read socket states find them (the `SockAuth` owns the map). */
export type SocketStates = Pick<WeakMap<Socket, SocketState>, 'get'>;

/** The initial per-socket check queue: one settled promise shared by every socket. */
export const SETTLED: Promise<void> = Promise.resolve();
