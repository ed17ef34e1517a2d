import type { AuthError } from '@sockauth/core/errors';
import type { ServerClock } from './schedule.js';
import { invoke } from './typed-events.js';

/**
 * Where the client stands:
 * - `connecting`: a handshake is under way, or a reconnection is waiting for its backoff delay (`retryAt`).
 * - `authenticated`: connected, the server accepted the token.
 * - `refreshing`: connected, getting a fresh token and re-authenticating in band (`auth:refresh`).
 * - `expired`: the token expired (the server cut or refused it); the client is getting a fresh one before
 *   reconnecting — or, with `autoRefresh: false`, waits for {@link AuthClient.refreshNow}.
 * - `unauthenticated`: the server said `login` (revoked, invalid, missing…): no more reconnects; the app must log
 *   the user in again, then call {@link AuthClient.connect}.
 * - `forbidden`: the server refused the connection itself by policy (`AUTH_FORBIDDEN`, action `none`, at the
 *   handshake or as the reason of a cut: a suspended tenant, a banned user, too many sockets). The identity is
 *   fine, so neither a new login nor a fresh token helps: no more reconnects, no refresh; the app tells the user
 *   and calls {@link AuthClient.connect} once something changed.
 * - `disconnected`: not started (`autoConnect: false`), gave up after `maxAttempts`, or disconnected by the app or
 *   by the server without an auth reason. {@link AuthClient.connect} starts again.
 * - `closed`: {@link AuthClient.close} was called. Final.
 *
 * @example
 * ```ts
 * client.subscribe(({ state }) => {
 *   if (state === 'unauthenticated') showLogin();
 * });
 * ```
 */
export type AuthClientState =
  | 'connecting'
  | 'authenticated'
  | 'refreshing'
  | 'expired'
  | 'unauthenticated'
  | 'forbidden'
  | 'disconnected'
  | 'closed';

/**
 * A snapshot of the client, as {@link AuthClient.subscribe} delivers it. Times are ms since the epoch.
 *
 * @example
 * ```ts
 * const { state, expiresAt, version } = client.status;
 * ```
 */
export interface AuthClientStatus {
  readonly state: AuthClientState;
  /** The socket id while connected. It stays the same across in-band refreshes. */
  readonly socketId: string | undefined;
  /** When the token in force expires (server clock), when known. */
  readonly expiresAt: number | undefined;
  /** The server's context version: 1 after a handshake, +1 per in-band re-auth. */
  readonly version: number | undefined;
  /** Local time of the next scheduled refresh, if one is scheduled. */
  readonly refreshAt: number | undefined;
  /** Failed attempts in the current retry sequence (reset once a connection stays up for 10 s). */
  readonly attempt: number;
  /** Local time of the next reconnection attempt, while waiting for one. */
  readonly retryAt: number | undefined;
  /** Server clock minus local clock, in ms, as measured (see `clockSource`). */
  readonly clockOffsetMs: number;
  /** How the clock offset is known: from `auth:expiring` (`server`), a fresh token's `iat` (`token`), or not. */
  readonly clockSource: 'none' | 'token' | 'server';
  /** The auth error behind the current state: why the socket was cut or refused, or why a refresh failed. */
  readonly error: AuthError | undefined;
  /**
   * The transport's reason for the last disconnection: Socket.IO's (`io server disconnect`, `transport close`, …),
   * or `close <code>` / `client close` for a plain WebSocket.
   */
  readonly disconnectReason: string | undefined;
}

/** States after which nothing happens without the app. */
export const RESTING: ReadonlySet<AuthClientState> = new Set(['unauthenticated', 'forbidden', 'disconnected', 'closed']);
/** Resting states the server decided: only the app can change the outcome (a new login, a policy change). */
export const STOPPED: ReadonlySet<AuthClientState> = new Set(['unauthenticated', 'forbidden', 'closed']);

const ALL: readonly AuthClientState[] = ['connecting', 'authenticated', 'refreshing', 'expired', 'unauthenticated', 'forbidden', 'disconnected', 'closed'];
const except = (...states: AuthClientState[]): ReadonlySet<AuthClientState> => new Set(ALL.filter((s) => !states.includes(s)));

/**
 * Where each state may go. Staying put is always allowed. The rules the table holds: a stopped state
 * (`unauthenticated`, `forbidden`) is left only by the app (`connect()` → `connecting`, or `close()`); `closed` is
 * final; `refreshing` is an in-band re-auth, so only a live authenticated connection enters it; a resting
 * `disconnected` becomes `authenticated` only through a new handshake (`connecting`).
 */
export const TRANSITIONS: Readonly<Record<AuthClientState, ReadonlySet<AuthClientState>>> = {
  connecting: except('refreshing'),
  authenticated: except(),
  refreshing: except(),
  expired: except('refreshing'),
  disconnected: except('authenticated', 'refreshing'),
  unauthenticated: new Set(['connecting', 'closed']),
  forbidden: new Set(['connecting', 'closed']),
  closed: new Set(),
};

/** Whether the client may move from `from` to `to`. */
export function canMove(from: AuthClientState, to: AuthClientState): boolean {
  return from === to || TRANSITIONS[from].has(to);
}

const INITIAL: AuthClientStatus = Object.freeze({
  state: 'disconnected',
  socketId: undefined,
  expiresAt: undefined,
  version: undefined,
  refreshAt: undefined,
  attempt: 0,
  retryAt: undefined,
  clockOffsetMs: 0,
  clockSource: 'none',
  error: undefined,
  disconnectReason: undefined,
});

/**
 * The client's status: immutable snapshots, published to subscribers on every change (the clock fields always
 * mirror `clock`). A patch that would take the state somewhere {@link TRANSITIONS} does not allow is dropped: a
 * late continuation can never revive a stopped or closed client.
 */
export class StatusStore {
  readonly #subscribers = new Set<(status: AuthClientStatus) => void>();
  #status: AuthClientStatus = INITIAL;

  constructor(
    private readonly clock: ServerClock,
    private readonly autoRefresh: boolean,
  ) {}

  get current(): AuthClientStatus {
    return this.#status;
  }

  get state(): AuthClientState {
    return this.#status.state;
  }

  update(patch: Partial<AuthClientStatus>): void {
    if (patch.state !== undefined && !canMove(this.#status.state, patch.state)) return;
    const next: AuthClientStatus = {
      ...this.#status,
      ...patch,
      clockOffsetMs: this.clock.offsetMs,
      clockSource: this.clock.source,
    };
    const current = this.#status as unknown as Record<string, unknown>;
    const changed = (Object.keys(next) as (keyof AuthClientStatus)[]).some((key) => !Object.is(next[key], current[key]));
    if (!changed) return;
    this.#status = Object.freeze(next);
    for (const listener of [...this.#subscribers]) invoke(() => listener(next));
  }

  subscribe(listener: (status: AuthClientStatus) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('sockauth client: subscribe(listener) needs a function');
    this.#subscribers.add(listener);
    invoke(() => listener(this.#status));
    return () => this.unsubscribe(listener);
  }

  unsubscribe(listener: (status: AuthClientStatus) => void): void {
    this.#subscribers.delete(listener);
  }

  clear(): void {
    this.#subscribers.clear();
  }

  /** True when nothing will happen without the app (connect(), refreshNow(), a new login). */
  resting(state: AuthClientState = this.#status.state): boolean {
    return RESTING.has(state) || (state === 'expired' && !this.autoRefresh);
  }

  /** Resolves `true` once authenticated, `false` if the client comes to rest first. */
  settled(): Promise<boolean> {
    return new Promise((resolve) => {
      this.#watch((status) => {
        if (status.state === 'authenticated') resolve(true);
        else if (this.resting(status.state)) resolve(false);
        else return false;
        return true;
      });
    });
  }

  /** Calls `check` with the status now and on every change until it returns `true`. */
  #watch(check: (status: AuthClientStatus) => boolean): void {
    let done = check(this.#status);
    if (done) return;
    const listener = (status: AuthClientStatus): void => {
      if (!done && check(status)) {
        done = true;
        this.#subscribers.delete(listener);
      }
    };
    this.#subscribers.add(listener);
  }
}
