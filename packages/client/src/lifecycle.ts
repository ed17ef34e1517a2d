import { authErrorFromPayload, type AuthError } from '@sockauth/core/errors';
import { backoffDelay } from './backoff.js';
import { RESTING, STOPPED, StatusStore } from './client-state.js';
import { EmitError } from './emit-error.js';
import { InBandRefresh } from './in-band-refresh.js';
import type { ResolvedOptions } from './options.js';
import { deniedError, parseRoomLeft } from './protocol.js';
import { ServerClock } from './schedule.js';
import { Timers, type Timer } from './timers.js';
import { TokenSource, toAuthError } from './token-source.js';
import type { ClientTransport } from './transport.js';
import { Listeners, type AuthClientEvents } from './typed-events.js';

/** A connection that stays up this long ends the current retry sequence (a flapping server still hits the bound). */
const STABLE_AFTER_MS = 10_000;

/**
 * The client's lifecycle, whatever the transport: which token each handshake presents, what every refusal, cut and
 * disconnection leads to (the taxonomy: `refresh`, `retry` with capped full-jitter backoff, `login`, `none`), the
 * retry budget, and the in-band refresh of a live connection. The transport only reports and obeys.
 */
export class Lifecycle {
  readonly #clock: ServerClock;
  readonly #status: StatusStore;
  readonly #timers = new Timers();
  readonly #tokens: TokenSource;
  readonly #events = new Listeners<AuthClientEvents>(['unauthenticated', 'forbidden', 'refreshed', 'error', 'roomLeft']);
  readonly #options: ResolvedOptions;
  readonly #transport: ClientTransport;
  readonly #inBand: InBandRefresh;
  #epoch = 0;
  /** Attempts in the current reconnection sequence. */
  #attempt = 0;
  #connection = 0;
  #stableTimer: Timer | undefined;
  /** The `auth:error` received before the server's disconnect: why we were cut. */
  #cutError: AuthError | undefined;

  constructor(options: ResolvedOptions, transport: ClientTransport) {
    this.#options = options;
    this.#clock = new ServerClock(options.now);
    this.#transport = transport;
    this.#status = new StatusStore(this.#clock, options.autoRefresh);
    this.#tokens = new TokenSource(options, (issuedAtSec) => {
      this.#clock.observeIssuedAt(issuedAtSec);
      this.#status.update({});
    });
    const [status, clock, timers, tokens, events] = [this.#status, this.#clock, this.#timers, this.#tokens, this.#events];
    this.#inBand = new InBandRefresh({
      options, status, clock, timers, tokens, transport, events,
      epoch: () => this.#epoch,
      connection: () => this.#connection,
      pause: (ms, epoch) => this.#pause(ms, epoch),
      stop: (state, error) => this.#stop(state, error),
      refreshFailed: (error, restState) => this.#refreshFailed(error, restState),
    });
    transport.attach({
      handshake: (send) => {
        const epoch = this.#epoch;
        tokens.present(send, () => epoch === this.#epoch);
      },
      connected: (id) => this.#onConnect(id),
      refused: (error) => this.#onRefused(error),
      cut: (payload) => this.#onCut(payload),
      disconnected: (reason, deliberate) => this.#onDisconnect(reason, deliberate),
      expiring: (payload) => this.#inBand.expiring(payload),
      roomLeft: (payload) => this.#onRoomLeft(payload),
    });
  }

  /** The status, for the app to read and subscribe to. */
  get status(): StatusStore {
    return this.#status;
  }

  /** The client's events, for the app to listen to. */
  get events(): Listeners<AuthClientEvents> {
    return this.#events;
  }

  // --- what the app asks (AuthClient's public methods) --------------------------------------------------------

  connect(): void {
    if (this.#status.state === 'closed') throw new Error('sockauth client: connect() after close()');
    if (!this.#status.resting()) return;
    this.#restart();
    this.#status.update({ state: 'connecting', error: undefined, attempt: 0, retryAt: undefined });
    this.#transport.connect();
  }

  async refreshNow(): Promise<boolean> {
    const state = this.#status.state;
    if (STOPPED.has(state)) return false;
    if (this.#transport.connected) return this.#inBand.refresh();
    // A reconnection is under way (or due): it presents the newest token; report how it ends.
    if (!this.#status.resting()) return this.#status.settled();
    const epoch = this.#restart();
    this.#status.update({ state: 'expired', retryAt: undefined });
    try {
      await this.#tokens.fetch();
    } catch (error) {
      if (epoch === this.#epoch) this.#refreshFailed(error, state === 'expired' ? 'expired' : 'disconnected');
      return false;
    }
    if (epoch !== this.#epoch) return false;
    this.#status.update({ state: 'connecting', error: undefined, attempt: 0 });
    this.#transport.connect();
    return this.#status.settled();
  }

  emitWithAck(event: string, args: readonly unknown[]): Promise<unknown> {
    const { state, error } = this.#status.current;
    // Refused by the server: the reason itself, rather than the `closed` a closed client gets.
    if ((state === 'unauthenticated' || state === 'forbidden') && error !== undefined) return Promise.reject(error);
    // Nothing would ever send it: fail now rather than at the ack timeout.
    if (this.#status.resting()) return Promise.reject(new EmitError('closed', event));
    return this.#transport.request(event, args, this.#options.ackTimeoutMs).then((response) => {
      const denied = deniedError(response);
      if (denied === undefined) return response;
      // The deadline passed before the server cut us: get a fresh token now rather than at the cut.
      if (denied.action === 'refresh' && this.#options.autoRefresh && this.#transport.connected) void this.#inBand.refresh();
      throw denied;
    });
  }

  close(): void {
    if (this.#status.state === 'closed') return;
    this.#restart();
    this.#status.update({ state: 'closed', socketId: undefined, refreshAt: undefined, retryAt: undefined });
    this.#transport.detach();
    this.#transport.disconnect();
    this.#status.clear();
    this.#events.clear();
  }

  // --- shared with the in-band refresh -----------------------------------------------------------------------

  #pause(ms: number, epoch: number): Promise<boolean> {
    return this.#timers.pause(ms, () => epoch === this.#epoch);
  }

  /**
   * A refresh gave up or was told `login` or `none`. With `login`, the session ends; with `none` while not
   * connected, the token that a reconnection needs was refused by policy (`forbidden`); otherwise the state returns
   * to `restState` with the error visible, and (when connected) the token in force simply runs until the server's
   * expiry cut, whose recovery has its own bounded budget.
   */
  #refreshFailed(error: unknown, restState: 'authenticated' | 'expired' | 'disconnected'): false {
    const authError = toAuthError(error);
    if (authError !== undefined) this.#events.emit('error', authError);
    if (authError?.action === 'login' || (authError?.action === 'none' && restState !== 'authenticated')) {
      this.#recover(authError, undefined);
      return false;
    }
    const state = restState === 'authenticated' && !this.#transport.connected ? 'disconnected' : restState;
    this.#status.update({ state, refreshAt: undefined, ...(authError !== undefined && { error: authError }) });
    return false;
  }

  /**
   * Ends up in a state only the app can leave (`connect()`): abandons every timer and pending refresh, drops the
   * connection and tells the app, once. `unauthenticated` also forgets the fresh token: it belongs to the ended
   * session.
   */
  #stop(state: 'unauthenticated' | 'forbidden', error: AuthError): void {
    if (STOPPED.has(this.#status.state)) return;
    this.#restart();
    if (state === 'unauthenticated') this.#tokens.forget();
    this.#status.update({ state, error, socketId: undefined, refreshAt: undefined, retryAt: undefined });
    this.#transport.disconnect();
    this.#events.emit(state, error);
  }

  // --- what the transport reports -----------------------------------------------------------------------------

  #onConnect(id: string | undefined): void {
    if (RESTING.has(this.#status.state)) return;
    this.#connection++;
    const inForce = this.#tokens.handshakeAccepted();
    this.#timers.clear(this.#stableTimer);
    this.#stableTimer = this.#timers.set(STABLE_AFTER_MS, () => {
      this.#stableTimer = undefined;
      this.#attempt = 0;
      this.#status.update({ attempt: 0 });
    });
    this.#status.update({
      state: 'authenticated',
      socketId: id,
      expiresAt: inForce?.expiresAt,
      version: 1,
      retryAt: undefined,
      error: undefined,
      disconnectReason: undefined,
    });
    this.#inBand.schedule();
  }

  #onRefused(error: AuthError | undefined): void {
    if (RESTING.has(this.#status.state)) return;
    if (error !== undefined) this.#events.emit('error', error);
    this.#recover(error, this.#tokens.presented?.token);
  }

  /** `auth:error`: the server is about to disconnect us, and says why. */
  #onCut(payload: unknown): void {
    const error = authErrorFromPayload(payload);
    if (error === undefined || RESTING.has(this.#status.state)) return;
    this.#cutError = error;
    this.#status.update({ error });
    this.#events.emit('error', error);
  }

  /** `auth:room-left`: only the app cares (the connection and its token are fine); a malformed one is ignored. */
  #onRoomLeft(payload: unknown): void {
    const info = parseRoomLeft(payload);
    if (info !== undefined && !RESTING.has(this.#status.state)) this.#events.emit('roomLeft', info);
  }

  #onDisconnect(reason: string, deliberate: boolean): void {
    this.#connection++;
    this.#inBand.reset();
    this.#timers.clear(this.#stableTimer);
    this.#stableTimer = undefined;
    const cut = this.#cutError;
    this.#cutError = undefined;
    if (STOPPED.has(this.#status.state)) return;
    this.#status.update({ socketId: undefined, refreshAt: undefined, disconnectReason: reason });
    if (cut !== undefined) return this.#recover(cut, this.#tokens.inForce?.token);
    if (deliberate) {
      // The app closed the connection itself, or the server did without an auth reason: the transport does not
      // reconnect in either case, and neither do we.
      this.#status.update({ state: 'disconnected' });
      return;
    }
    this.#recover(undefined, undefined);
  }

  // --- the taxonomy -------------------------------------------------------------------------------------------

  /**
   * Follows the taxonomy after a refused handshake or a cut. `rejected` is the token the server turned down.
   * `none` here means the connection itself was refused by policy: terminal, like `login`, but nothing a new login
   * or token can fix. An error the client does not know (no `data`, or a code of a newer server) is a transport
   * failure: bounded retries.
   */
  #recover(error: AuthError | undefined, rejected: string | undefined): void {
    switch (error?.action) {
      case 'login':
        return this.#stop('unauthenticated', error);
      case 'none':
        return this.#stop('forbidden', error);
      case 'refresh':
        if (!this.#options.autoRefresh) {
          this.#status.update({ state: 'expired', error, retryAt: undefined });
          return;
        }
        void this.#reconnect(error, rejected);
        return;
      default:
        // `retry` and transport failures: back off and try again.
        void this.#reconnect(error, undefined);
    }
  }

  /**
   * One reconnection attempt, after a backoff delay (none before the first attempt after an expiry, whose fix is a
   * fresh token, not waiting). With `rejected`, a fresh token is fetched first unless a newer one is at hand.
   */
  async #reconnect(error: AuthError | undefined, rejected: string | undefined): Promise<void> {
    const epoch = this.#epoch;
    const expired = error?.action === 'refresh';
    const attempt = this.#attempt++;
    const { backoff, random } = this.#options;
    if (attempt >= backoff.maxAttempts) {
      this.#status.update({ state: 'disconnected', error, retryAt: undefined });
      // Drop the connection attempt for good (Socket.IO: detach from the Manager too, so another socket sharing
      // it cannot reconnect this one behind our back).
      this.#transport.disconnect();
      return;
    }
    const delay = expired && attempt === 0 ? 0 : backoffDelay(attempt, backoff, random);
    this.#status.update({ state: expired ? 'expired' : 'connecting', error, attempt: attempt + 1, retryAt: this.#options.now() + delay });
    if (!(await this.#pause(delay, epoch))) return;
    if (expired) {
      try {
        const fresh = this.#tokens.fresh;
        const needed = fresh === undefined || fresh.token === rejected;
        const pending = this.#tokens.fetching ?? (needed ? this.#tokens.fetch() : undefined);
        if (pending !== undefined) await pending;
      } catch (refreshError) {
        if (epoch !== this.#epoch) return;
        const authError = toAuthError(refreshError);
        if (authError !== undefined) this.#events.emit('error', authError);
        // The backend ended the session (`login`) or refuses this user a token by policy (`none`): no reconnection.
        if (authError?.action === 'login' || authError?.action === 'none') return this.#recover(authError, undefined);
        return this.#reconnect(error, rejected);
      }
      if (epoch !== this.#epoch) return;
    }
    this.#status.update({ state: 'connecting', retryAt: undefined });
    this.#transport.connect();
  }

  /** Abandons pending work (timers, pauses, in-flight continuations) and resets the retry budget. */
  #restart(): number {
    this.#epoch++;
    this.#timers.abandonAll();
    this.#inBand.reset();
    this.#stableTimer = undefined;
    this.#cutError = undefined;
    this.#attempt = 0;
    return this.#epoch;
  }
}
