import { isAuthError, mapVerificationError, redactUrl, type AuthError } from '@sockauth/core';
import type { Socket } from 'socket.io';
import { causeOf, failureLevel, type LogLevel, type SockAuthLogger, type SockAuthLogRecord } from './logging.js';
import type { FailureStage, SockAuthHooks, VerifyStage } from './options.js';
import type { SocketStates } from './socket-state.js';

/** Query parameters of Socket.IO's own protocol whose values are kept in logged URLs (engine.io `sid` is not). */
const LOGGED_QUERY_PARAMS: ReadonlySet<string> = new Set(['EIO', 'transport', 't', 'b64', 'j']);

/** Runs a hook or another user callback. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Observability hooks and user callbacks must never break authentication.
  }
}

/** An event name fit for a hook or a log record: at most 100 characters. */
export function truncate(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/** Socket id and namespace, for hooks and log records. */
export function where(socket: Socket): { socketId: string; namespace: string } {
  return { socketId: socket.id, namespace: socket.nsp?.name ?? '/' };
}

/**
 * Tells the observability hooks and the logger what authentication decided: refusals (`onAuthFailure` and a
 * `refused` record), verification times (`onVerify`) and any other log record.
 */
export class Reporter {
  readonly #hooks: SockAuthHooks;
  readonly #logger: SockAuthLogger | undefined;
  /** The query parameter a token may arrive in, redacted from logged handshake URLs. */
  readonly #tokenQueryParam: string;
  readonly #states: SocketStates;

  constructor(hooks: SockAuthHooks, logger: SockAuthLogger | undefined, tokenQueryParam: string, states: SocketStates) {
    this.#hooks = hooks;
    this.#logger = logger;
    this.#tokenQueryParam = tokenQueryParam;
    this.#states = states;
  }

  /** Hands a record to the logger, if any. A failing logger never breaks authentication. */
  log(level: LogLevel, record: SockAuthLogRecord, message: string): void {
    const logger = this.#logger;
    if (logger === undefined) return;
    safely(() => logger[level](record, message));
  }

  /** Reports a refusal to `onAuthFailure` and the logger. */
  failure(error: AuthError, stage: FailureStage, socket: Socket, event?: string): void {
    safely(() =>
      this.#hooks.onAuthFailure?.({
        code: error.code,
        stage,
        socketId: socket.id,
        namespace: socket.nsp?.name ?? '/',
        ...(event !== undefined && { event: truncate(event) }),
      }),
    );
    if (this.#logger === undefined) return;
    const handshake = stage === 'handshake' || stage === 'recovery';
    // The subject of the context in force (event, re-auth), never anything read from a presented token.
    const subject = handshake ? undefined : this.#states.get(socket)?.auth.context?.subject;
    const cause = causeOf(error);
    const url = handshake ? this.#loggedUrl(socket) : undefined;
    this.log(
      failureLevel(error, stage),
      {
        sockauth: 'refused',
        ...where(socket),
        stage,
        code: error.code,
        action: error.action,
        ...(subject !== undefined && { subject }),
        ...(event !== undefined && { event: truncate(event) }),
        ...(url !== undefined && { url }),
        ...(cause !== undefined && { cause }),
      },
      `sockauth: ${stage} refused`,
    );
  }

  /**
   * Awaits a verification and reports its duration and outcome to `onVerify`. Callers use it only when `onVerify`
   * is set (and read the clock for `startedAt` only then): no clock reads otherwise.
   */
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
   * The handshake URL for a log line: only Socket.IO's own transport parameters keep their values; every other
   * query parameter (the token one, whatever a custom extractor reads, engine.io's session id) is redacted.
   */
  #loggedUrl(socket: Socket): string | undefined {
    const url = socket.handshake?.url;
    if (typeof url !== 'string') return undefined;
    const queryStart = url.indexOf('?');
    if (queryStart === -1) return url;
    let names: string[];
    try {
      names = [...new URLSearchParams(url.slice(queryStart + 1).split('#')[0]).keys()];
    } catch {
      return '[unparseable url]';
    }
    return redactUrl(url, [this.#tokenQueryParam, ...names.filter((name) => !LOGGED_QUERY_PARAMS.has(name))]);
  }
}
