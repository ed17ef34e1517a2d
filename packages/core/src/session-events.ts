import type { AuthContext } from './auth-context.js';
import type { ConnectionAuth } from './connection-auth.js';
import { AuthForbiddenError, AuthMissingError, AuthUnavailableError, isAuthError, type AuthError } from './errors.js';
import type { EventPolicy, UnlistedEventPolicy } from './event-policy.js';
import type { EventRateLimiter } from './event-rate-limit.js';
import { authorizeAction, compileRequirement, satisfies, type AuthorizeHook, type CompiledRequirement } from './permissions.js';
import { REFRESH_EVENT, deniedAck } from './protocol.js';
import type { EventGate, EventGateVerdict } from './session-options.js';
import type { SessionReauth } from './session-reauth.js';
import { redactTokenLike } from './redaction.js';
import type { SessionReporter } from './session-reporter.js';
import type { SessionState, SessionStates } from './session-state.js';
import type { SessionTransport } from './session-transport.js';
import { mapVerificationError } from './verification-errors.js';

/** Requirement of unlisted events allowed by `unlistedEvents: 'authenticated'`. */
const AUTHENTICATED = compileRequirement(null);

/** What the per-message checks need from the session they serve (its options, already validated). */
export interface SessionEventsDeps<H extends object, M> {
  readonly states: SessionStates<H>;
  readonly transport: SessionTransport<H, M>;
  readonly policy: EventPolicy;
  readonly unlisted: UnlistedEventPolicy;
  readonly authorize: AuthorizeHook | undefined;
  readonly gate: EventGate<H> | undefined;
  readonly limiter: EventRateLimiter | undefined;
  readonly reporter: SessionReporter<H>;
  /** Handles `auth:refresh` messages. */
  readonly reauth: SessionReauth<H, M>;
  /** Sends `auth:error` and disconnects (a flood past the rate limit's hard limit). */
  readonly disconnect: (handle: H, error: AuthError) => void;
}

/**
 * The check every inbound message of an authenticated connection goes through before the transport hands it to
 * the application: rate limit, re-auth, expiry, the event map (or the event's own guards), the live `authorize`
 * hook, then the event gate. A refused message never reaches a handler; its ack (if any) receives the error.
 */
export class SessionEvents<H extends object, M> {
  // Each dependency in a field of its own, not behind `deps`: they are read on every message.
  readonly #states: SessionStates<H>;
  readonly #transport: SessionTransport<H, M>;
  readonly #policy: EventPolicy;
  readonly #unlisted: UnlistedEventPolicy;
  readonly #authorize: AuthorizeHook | undefined;
  readonly #gate: EventGate<H> | undefined;
  readonly #limiter: EventRateLimiter | undefined;
  readonly #reporter: SessionReporter<H>;
  readonly #reauth: SessionReauth<H, M>;
  readonly #disconnect: (handle: H, error: AuthError) => void;

  constructor(deps: SessionEventsDeps<H, M>) {
    this.#states = deps.states;
    this.#transport = deps.transport;
    this.#policy = deps.policy;
    this.#unlisted = deps.unlisted;
    this.#authorize = deps.authorize;
    this.#gate = deps.gate;
    this.#limiter = deps.limiter;
    this.#reporter = deps.reporter;
    this.#reauth = deps.reauth;
    this.#disconnect = deps.disconnect;
  }

  /**
   * Decides a guarded handler's call (a requirement the handler declares itself, e.g. Socket.IO's `guard`):
   * resolves when the context in force satisfies it and `authorize` agrees, rejects with the `AuthError` otherwise
   * (reported, except when no context was ever in force).
   */
  async checkGuarded(handle: H, requirement: CompiledRequirement, action: string, args: readonly unknown[]): Promise<void> {
    const state = this.#states.get(handle);
    if (state === undefined) throw new AuthMissingError();
    const context = state.auth.current();
    try {
      await authorizeAction(context, requirement, action, Object.freeze(args.slice()), this.#authorize);
    } catch (error) {
      const authError = mapVerificationError(error);
      this.#reporter.failure(authError, 'event', handle, action);
      throw authError;
    }
    // The deadline may have passed (or a revocation arrived) during the hook.
    if (!state.auth.isActive()) throw inactiveError(state.auth);
  }

  /** Checks one message of `handle`: calls `pass` to let it through, or refuses it (reported, acked the error). */
  check(handle: H, message: M, event: unknown, pass: () => void): void {
    const state = this.#states.get(handle);
    if (state === undefined) {
      // Released and closed (cut, expired, revoked, flooding): messages still in the transport's pipeline are
      // dropped without a word, so a flood cannot turn into as many hook calls and log lines.
      if (!this.#transport.isOpen(handle)) return;
      return this.#deny(handle, message, new AuthMissingError());
    }
    // Before anything else, auth:refresh included: a flood costs one bucket update per message, nothing more.
    if (this.#limiter !== undefined) {
      const verdict = this.#limiter.take(handle);
      if (verdict !== 'allow') return this.#rateLimited(handle, message, event, verdict === 'disconnect');
    }
    if (event === REFRESH_EVENT) {
      this.#reauth.refresh(handle, state, message);
      return;
    }
    if (typeof event !== 'string') {
      return this.#deny(handle, message, new AuthForbiddenError('event name must be a string'));
    }
    let context: AuthContext;
    try {
      context = state.auth.current();
    } catch (error) {
      return this.#deny(handle, message, error as AuthError, event);
    }
    let requirement = this.#policy.requirementFor(event);
    if (requirement === undefined) {
      // Handlers that check themselves call `authorize` themselves.
      if (this.#transport.checksItself?.(handle, event) === true) return this.#pass(handle, message, event, context, pass);
      if (this.#unlisted === 'deny') {
        return this.#deny(handle, message, new AuthForbiddenError(`"${redactTokenLike(event)}" is not allowed`), event);
      }
      // unlistedEvents: 'authenticated' — still subject to the live `authorize` hook, like every event.
      requirement = AUTHENTICATED;
    }
    if (!satisfies(context, requirement)) {
      return this.#deny(handle, message, new AuthForbiddenError(`"${redactTokenLike(event)}" is not allowed`), event);
    }
    if (this.#authorize === undefined) {
      // Synchronous path: no allocation beyond the transport's own, order preserved.
      this.#pass(handle, message, event, context, pass);
      return;
    }
    this.#queueAuthorize(handle, state, message, event, requirement, pass);
  }

  /** The `authorize` hook decides asynchronously: queued per connection so messages keep their order. */
  #queueAuthorize(handle: H, state: SessionState, message: M, event: string, requirement: CompiledRequirement, pass: () => void): void {
    const hook = this.#authorize!;
    state.queue = state.queue.then(async () => {
      try {
        // Re-read the context: a re-auth may have replaced it while earlier messages were being checked.
        const current = state.auth.current();
        await authorizeAction(current, requirement, event, this.#transport.args(message), hook);
        // The deadline may have passed during the hook.
        this.#pass(handle, message, event, state.auth.current(), pass);
      } catch (error) {
        this.#deny(handle, message, mapVerificationError(error), event);
      }
    });
  }

  /**
   * Lets a message that passed every check here through, by way of the event gate when there is one: its refusals
   * are acked and reported here, like this check's own.
   */
  #pass(handle: H, message: M, event: string, context: AuthContext, pass: () => void): void {
    if (this.#gate === undefined) return pass();
    let verdict: EventGateVerdict;
    try {
      verdict = this.#gate(handle, event, this.#transport.args(message), context);
    } catch (error) {
      return this.#deny(handle, message, gateRefusal(error), event);
    }
    if (verdict === undefined) return pass();
    if (typeof (verdict as PromiseLike<unknown>).then !== 'function') {
      return this.#deny(handle, message, gateRefusal(verdict), event);
    }
    (verdict as PromiseLike<AuthError | undefined>).then(
      (later) => (later === undefined ? pass() : this.#deny(handle, message, gateRefusal(later), event)),
      (error: unknown) => this.#deny(handle, message, gateRefusal(error), event),
    );
  }

  /** Refuses a message: reported, and the ack (if any) receives the error. */
  #deny(handle: H, message: M, error: AuthError, event?: string): void {
    this.#reporter.failure(error, 'event', handle, event);
    this.#transport.reply(handle, message, deniedAck(error));
  }

  /** A message over the rate limit: refused before any check or handler; past the hard limit, the connection is cut. */
  #rateLimited(handle: H, message: M, event: unknown, cut: boolean): void {
    const error = new AuthUnavailableError('too many events, slow down', { cause: { name: 'RateLimited' } });
    this.#deny(handle, message, error, typeof event === 'string' ? event : undefined);
    if (!cut) return;
    const subject = this.#states.get(handle)?.auth.context?.subject;
    this.#reporter.log(
      'warn',
      { sockauth: 'rate-limited', ...this.#reporter.where(handle), code: error.code, action: error.action, ...(subject !== undefined && { subject }) },
      'sockauth: event flood past the rate limit, connection closed',
    );
    this.#disconnect(handle, error);
  }
}

/** An event gate's refusal: its own `AuthError`, or `AUTH_UNAVAILABLE` when it failed (nothing was decided). */
function gateRefusal(verdict: unknown): AuthError {
  return isAuthError(verdict) ? verdict : new AuthUnavailableError('event gate failed', { cause: { name: 'EventGateError' } });
}

/** Why a connection whose context lapsed is refused. */
export function inactiveError(auth: ConnectionAuth): AuthError {
  try {
    auth.current();
    return new AuthMissingError();
  } catch (error) {
    return error as AuthError;
  }
}
