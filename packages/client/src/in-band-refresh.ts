import { authErrorFromPayload, type AuthError } from '@sockauth/core/errors';
import { backoffDelay } from './backoff.js';
import { RESTING, type StatusStore } from './client-state.js';
import type { ResolvedOptions } from './options.js';
import { REFRESH_EVENT, parseExpiring, parseRefreshAck } from './protocol.js';
import { pickRefreshLead, type ServerClock } from './schedule.js';
import type { Timer, Timers } from './timers.js';
import { toAuthError, type TokenInfo, type TokenSource } from './token-source.js';
import type { ClientTransport } from './transport.js';
import type { AuthClientEvents, Listeners } from './typed-events.js';

/** What the in-band refresh needs from the lifecycle that owns it. */
export interface RefreshHost {
  readonly options: ResolvedOptions;
  readonly status: StatusStore;
  readonly clock: ServerClock;
  readonly timers: Timers;
  readonly tokens: TokenSource;
  readonly transport: ClientTransport;
  readonly events: Listeners<AuthClientEvents>;
  /** Bumped whenever pending work must be abandoned (close, a stop, a restart). */
  epoch(): number;
  /** Bumped at every connect and disconnect: an in-band refresh belongs to one connection. */
  connection(): number;
  /** Waits `ms`; `false` if the client restarted or closed meanwhile (`epoch` moved). */
  pause(ms: number, epoch: number): Promise<boolean>;
  /** The server said `login` to the new token. */
  stop(state: 'unauthenticated', error: AuthError): void;
  /** The refresh gave up (or was told `login`/`none`): the lifecycle decides what state follows. */
  refreshFailed(error: unknown, restState: 'authenticated'): false;
}

/**
 * The pre-expiry refresh of a live connection: scheduled at a jittered point of the refresh window on the server's
 * clock, re-armed by `auth:expiring`, run as `refresh()` then `auth:refresh` on the same connection, with bounded
 * retries. One at a time: concurrent triggers share the same attempt.
 */
export class InBandRefresh {
  #timer: Timer | undefined;
  /** Server time at which the next pre-expiry refresh is due (kept so a new clock offset can re-arm it). */
  #dueAt: number | undefined;
  #running: Promise<boolean> | undefined;

  readonly #host: RefreshHost;

  constructor(host: RefreshHost) {
    this.#host = host;
  }

  /** Whether an in-band refresh is under way. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Forgets the schedule and the attempt under way (the connection ended, or the client restarts). */
  reset(): void {
    this.#host.timers.clear(this.#timer);
    this.#timer = this.#dueAt = undefined;
    this.#running = undefined;
  }

  /**
   * Schedules the pre-expiry refresh at a random point of the window before `expiresAt`, on the server's clock.
   * When the local estimate says the token already expired although the server just accepted it, the clock offset
   * is wrong: nothing is scheduled and the server's `auth:expiring` (which measures the offset) drives the refresh.
   */
  schedule(): void {
    const { options, status, clock, timers } = this.#host;
    timers.clear(this.#timer);
    this.#timer = this.#dueAt = undefined;
    const { expiresAt, state } = status.current;
    if (!options.autoRefresh || state !== 'authenticated' || expiresAt === undefined) {
      status.update({ refreshAt: undefined });
      return;
    }
    const remaining = expiresAt - clock.serverNow();
    if (remaining <= 0) {
      status.update({ refreshAt: undefined });
      return;
    }
    this.#arm(expiresAt - pickRefreshLead(remaining, options.window, options.random));
  }

  /** `auth:expiring`: measures the clock offset, then keeps, re-arms or (if late) re-draws the refresh. */
  expiring(payload: unknown): void {
    const { options, status, clock, transport } = this.#host;
    const expiring = parseExpiring(payload);
    if (expiring === undefined || RESTING.has(status.state)) return;
    const now = options.now();
    const inGrace = expiring.graceEndsAt !== undefined || expiring.inMs <= 0;
    if (!inGrace) clock.observeServerTime(expiring.expiresAt - expiring.inMs, now);
    status.update({ expiresAt: expiring.expiresAt });
    if (!options.autoRefresh || this.#running !== undefined || !transport.connected) return;
    if (inGrace) {
      void this.refresh();
      return;
    }
    const due = this.#dueAt;
    if (due !== undefined && due < expiring.expiresAt && clock.toLocal(due) > now) {
      // Still ahead: keep the jittered point (so 10k clients warned at once do not refresh at once), re-armed
      // with the measured offset.
      this.#arm(due);
      return;
    }
    this.#arm(expiring.expiresAt - pickRefreshLead(expiring.inMs, options.window, options.random));
  }

  /** Refreshes in band once at a time; concurrent triggers share the same attempt. */
  refresh(): Promise<boolean> {
    if (this.#running !== undefined) return this.#running;
    const running: Promise<boolean> = this.#run(this.#host.epoch(), this.#host.connection()).finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  /** Arms the refresh timer for server time `dueAt`, converted with the current clock offset. */
  #arm(dueAt: number): void {
    const { options, status, clock, timers } = this.#host;
    timers.clear(this.#timer);
    this.#dueAt = dueAt;
    const localAt = clock.toLocal(dueAt);
    this.#timer = timers.set(Math.max(0, localAt - options.now()), () => {
      this.#timer = this.#dueAt = undefined;
      status.update({ refreshAt: undefined });
      void this.refresh();
    });
    status.update({ refreshAt: localAt });
  }

  /** Fresh token from `refresh()`, then `auth:refresh` on the live connection; bounded retries with backoff. */
  async #run(epoch: number, connection: number): Promise<boolean> {
    const host = this.#host;
    host.timers.clear(this.#timer);
    this.#timer = this.#dueAt = undefined;
    const { backoff, random, ackTimeoutMs } = host.options;
    // Abandoned on close/unauthenticated (epoch) and when this connection ends (the handshake takes over).
    const live = (): boolean => epoch === host.epoch() && connection === host.connection() && host.transport.connected;
    const retry = (failures: number): Promise<boolean> => host.pause(backoffDelay(failures - 1, backoff, random), epoch);
    // The token to present: kept across a lost ack or a `retry` refusal (the token was fine, the server was not);
    // fetched again only when the server says `refresh` (stale or already expired).
    let info: TokenInfo | undefined;
    for (let failures = 0; ; ) {
      if (!live()) return false;
      host.status.update({ state: 'refreshing', refreshAt: undefined });
      try {
        info ??= await host.tokens.fetch();
      } catch (error) {
        if (!live()) return false;
        const authError = toAuthError(error);
        if (authError?.action === 'login' || authError?.action === 'none' || ++failures > backoff.maxAttempts) {
          return host.refreshFailed(error, 'authenticated');
        }
        if (authError !== undefined) host.events.emit('error', authError);
        if (!(await retry(failures))) return false;
        continue;
      }
      // Disconnected meanwhile: the reconnection presents this token at its handshake.
      if (!live()) return false;
      let response: unknown;
      try {
        response = await host.transport.request(REFRESH_EVENT, [{ token: info.token }], ackTimeoutMs);
      } catch {
        if (!live()) return false;
        if (++failures > backoff.maxAttempts) return host.refreshFailed(undefined, 'authenticated');
        if (!(await retry(failures))) return false;
        continue;
      }
      if (!live()) return false;
      const ack = parseRefreshAck(response);
      if (ack?.ok === true) {
        host.tokens.accepted({ ...info, expiresAt: ack.expiresAt });
        host.status.update({ state: 'authenticated', expiresAt: ack.expiresAt, version: ack.version, error: undefined });
        this.schedule();
        host.events.emit('refreshed', { expiresAt: ack.expiresAt, version: ack.version });
        return true;
      }
      // A refusal leaves the context in force untouched (the server never downgrades a valid one).
      const error = ack === undefined ? undefined : authErrorFromPayload(ack.error);
      if (error?.action === 'login') {
        host.events.emit('error', error);
        host.stop('unauthenticated', error);
        return false;
      }
      // `refresh` (stale or already expired token: get another), `retry` (store down, rate limit), malformed.
      if (error?.action === 'none' || ++failures > backoff.maxAttempts) return host.refreshFailed(error, 'authenticated');
      if (error?.action === 'refresh') info = undefined;
      if (error !== undefined) host.events.emit('error', error);
      if (!(await retry(failures))) return false;
    }
  }
}
