import type { ConnectionAuth } from './connection-auth.js';

/** Per-connection state of an {@link AuthSessions}, kept outside anything a transport persists or sends. */
export interface SessionState {
  readonly auth: ConnectionAuth;
  /** Keeps per-connection event checks in arrival order when a live `authorize` hook makes them asynchronous. */
  queue: Promise<void>;
  /** How the connection authenticated. */
  readonly stage: 'handshake' | 'recovery';
  /** Set once connected and `onAuthenticated` ran: the connection then gets exactly one `onRelease`. */
  live: boolean;
}

/** Where the parts of a session that only read states find them (the session owns the map). */
export type SessionStates<H extends object> = Pick<WeakMap<H, SessionState>, 'get'>;

/** The initial per-connection check queue: one settled promise shared by every connection. */
export const SETTLED: Promise<void> = Promise.resolve();
