import { causeOf, failureLevel, type AuthLogger, type AuthLogRecord, type LogLevel } from './auth-logger.js';
import { isAuthError, type AuthError } from './errors.js';
import { redactTokenLike, redactUrl } from './redaction.js';
import type { SessionHooks, FailureStage, VerifyStage, ConnectionWhere } from './session-hooks.js';
import { identityOf, safely } from './session-hooks.js';
import type { SessionStates } from './session-state.js';
import type { SessionTransport } from './session-transport.js';
import { mapVerificationError } from './verification-errors.js';

/**
 * Tells the observability hooks and the logger what authentication decided: refusals (`onAuthFailure` and a
 * `refused` record), verification times (`onVerify`) and any other log record. One per session, shared by every
 * transport: the records are the same whichever wire the connection came over.
 */
export class SessionReporter<H extends object> {
  readonly #hooks: SessionHooks;
  readonly #logger: AuthLogger | undefined;
  readonly #transport: SessionTransport<H, unknown>;
  readonly #states: SessionStates<H>;

  constructor(hooks: SessionHooks, logger: AuthLogger | undefined, transport: SessionTransport<H, unknown>, states: SessionStates<H>) {
    this.#hooks = hooks;
    this.#logger = logger;
    this.#transport = transport;
    this.#states = states;
  }

  /** Where a connection is, for hooks and log records. */
  where(handle: H): ConnectionWhere {
    const { socketId, namespace } = this.#transport.describe(handle);
    return { socketId, namespace };
  }

  /** Whether there is a logger: a caller builds a record only then (a whole tenant's evictions are thousands). */
  get logs(): boolean {
    return this.#logger !== undefined;
  }

  /** Hands a record to the logger, if any. A failing logger never breaks authentication. */
  log(level: LogLevel, record: AuthLogRecord, message: string): void {
    const logger = this.#logger;
    if (logger === undefined) return;
    safely(() => logger[level](record, message));
  }

  /**
   * Reports a refusal to `onAuthFailure` and the logger. `event` (stage `event`) and `room` (stage `join`) are
   * client-chosen: a token-shaped or over-long name is replaced by its fingerprint (`redactTokenLike`).
   */
  failure(error: AuthError, stage: FailureStage, handle: H, event?: string, room?: string): void {
    const where = this.where(handle);
    const handshake = stage === 'handshake' || stage === 'recovery';
    // The identity of the context in force (event, re-auth, join), never anything read from a presented token.
    const context = handshake ? undefined : this.#states.get(handle)?.auth.context;
    const eventName = event === undefined ? undefined : redactTokenLike(event);
    const roomName = room === undefined ? undefined : redactTokenLike(room);
    safely(() =>
      this.#hooks.onAuthFailure?.({
        code: error.code,
        stage,
        ...where,
        ...(context !== undefined && identityOf(context)),
        ...(eventName !== undefined && { event: eventName }),
        ...(roomName !== undefined && { room: roomName }),
      }),
    );
    if (this.#logger === undefined) return;
    const subject = context?.subject;
    const cause = causeOf(error);
    const url = handshake ? this.#loggedUrl(handle) : undefined;
    this.log(
      failureLevel(error, stage),
      {
        sockauth: 'refused',
        ...where,
        stage,
        code: error.code,
        action: error.action,
        ...(subject !== undefined && { subject }),
        ...(eventName !== undefined && { event: eventName }),
        ...(roomName !== undefined && { room: roomName }),
        ...(url !== undefined && { url }),
        ...(cause !== undefined && { cause }),
      },
      `sockauth: ${stage} refused`,
    );
  }

  /** Whether `onVerify` is set: verifications are timed (and the clock read) only then. */
  get timesVerifications(): boolean {
    return this.#hooks.onVerify !== undefined;
  }

  /** Awaits a verification and reports its duration and outcome to `onVerify` (call only when it is set). */
  async timed<T>(verifying: Promise<T>, stage: VerifyStage, startedAt: number): Promise<T> {
    try {
      const result = await verifying;
      const durationMs = performance.now() - startedAt;
      safely(() => this.#hooks.onVerify?.({ stage, durationMs, outcome: 'accepted' }));
      return result;
    } catch (error) {
      const durationMs = performance.now() - startedAt;
      const code = isAuthError(error) ? error.code : mapVerificationError(error).code;
      safely(() => this.#hooks.onVerify?.({ stage, durationMs, outcome: 'refused', code }));
      throw error;
    }
  }

  /**
   * The handshake URL for a log line: only the transport's own protocol parameters keep their values; every other
   * query parameter (a token, whatever a custom extractor reads, a session id) is redacted.
   */
  #loggedUrl(handle: H): string | undefined {
    const url = this.#transport.handshakeUrl?.(handle);
    if (typeof url !== 'string') return undefined;
    const queryStart = url.indexOf('?');
    if (queryStart === -1) return url;
    let names: string[];
    try {
      names = [...new URLSearchParams(url.slice(queryStart + 1).split('#')[0]).keys()];
    } catch {
      return '[unparseable url]';
    }
    const kept = this.#transport.loggedQueryParams;
    return redactUrl(url, kept === undefined ? names : names.filter((name) => !kept.has(name)));
  }
}
