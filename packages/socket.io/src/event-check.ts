import {
  AuthForbiddenError,
  AuthMissingError,
  AuthUnavailableError,
  authorizeAction,
  compileRequirement,
  isAuthError,
  mapVerificationError,
  satisfies,
  type AuthContext,
  type AuthError,
  type AuthorizeHook,
  type CompiledRequirement,
  type ConnectionAuth,
  type PermissionRequirement,
} from '@sockauth/core';
import type { Socket } from 'socket.io';
import { eventArgs } from './event-args.js';
import type { EventPolicy, UnlistedEventPolicy } from './event-policy.js';
import type { EventRateLimiter } from './event-rate-limit.js';
import type { EventGate, EventGateVerdict } from './options.js';
import { REFRESH_EVENT, ackPacket, type DeniedAck } from './protocol.js';
import type { Reauth } from './reauth.js';
import { truncate, where, type Reporter } from './reporter.js';
import type { SocketStates } from './socket-state.js';

/** Marks functions produced by {@link EventCheck.guard}. */
const GUARD = Symbol('sockauth.guard');
type Guarded = ((...args: unknown[]) => void) & { [GUARD]: CompiledRequirement };

/** Requirement of unlisted events allowed by `unlistedEvents: 'authenticated'`. */
const AUTHENTICATED = compileRequirement(null);

/** What the per-event checks need from the `SockAuth` they serve (its options, already validated). */
export interface EventCheckDeps {
  readonly states: SocketStates;
  readonly policy: EventPolicy;
  readonly unlisted: UnlistedEventPolicy;
  readonly authorize: AuthorizeHook | undefined;
  readonly gate: EventGate | undefined;
  readonly limiter: EventRateLimiter | undefined;
  readonly reporter: Reporter;
  /** Handles `auth:refresh` packets. */
  readonly reauth: Reauth;
  /** Sends `auth:error` and disconnects (a flood past the rate limit's hard limit). */
  readonly disconnect: (socket: Socket, error: AuthError) => void;
}

/**
 * The check every incoming packet of an authenticated socket goes through before Socket.IO hands it to the
 * application: rate limit, re-auth, expiry, the event map (or the event's guards), the live `authorize` hook,
 * then the `eventGate`. A refused event never reaches a handler; its ack (if any) receives the error.
 */
export class EventCheck {
  // Each dependency in a field of its own, not behind `deps`: they are read on every event.
  readonly #states: SocketStates;
  readonly #policy: EventPolicy;
  readonly #unlisted: UnlistedEventPolicy;
  readonly #authorize: AuthorizeHook | undefined;
  readonly #gate: EventGate | undefined;
  readonly #limiter: EventRateLimiter | undefined;
  readonly #reporter: Reporter;
  readonly #reauth: Reauth;
  readonly #disconnect: (socket: Socket, error: AuthError) => void;
  /** Guards made so far: while there are none, events need not look for them. */
  #guards = 0;

  constructor(deps: EventCheckDeps) {
    this.#states = deps.states;
    this.#policy = deps.policy;
    this.#unlisted = deps.unlisted;
    this.#authorize = deps.authorize;
    this.#gate = deps.gate;
    this.#limiter = deps.limiter;
    this.#reporter = deps.reporter;
    this.#reauth = deps.reauth;
    this.#disconnect = deps.disconnect;
  }

  /** See `SockAuth.guard`. */
  guard<A extends unknown[]>(
    requirement: PermissionRequirement,
    handler: (this: Socket, ...args: A) => unknown,
  ): (this: Socket, ...args: A) => void {
    if (typeof handler !== 'function') throw new TypeError('sockauth: guard(requirement, handler) needs a function');
    const compiled = compileRequirement(requirement, `guard(requirement) of ${handler.name || 'an anonymous handler'}`);
    const self = this;
    const guarded = function (this: Socket, ...args: A): void {
      const state = self.#states.get(this);
      const packet = args as unknown[];
      if (state === undefined) {
        ackPacket(packet, denied(new AuthMissingError()));
        return;
      }
      let context: AuthContext;
      try {
        context = state.auth.current();
      } catch (error) {
        ackPacket(packet, denied(error as AuthError));
        return;
      }
      const action = `guard:${handler.name || 'anonymous'}`;
      authorizeAction(context, compiled, action, eventArgs(packet), self.#authorize).then(
        () => {
          if (!state.auth.isActive()) return ackPacket(packet, denied(safeCurrentError(state.auth)));
          handler.apply(this, args);
        },
        (error: unknown) => {
          const authError = mapVerificationError(error);
          self.#reporter.failure(authError, 'event', this, action);
          ackPacket(packet, denied(authError));
        },
      );
    } as Guarded;
    guarded[GUARD] = compiled;
    this.#guards++;
    return guarded as (this: Socket, ...args: A) => void;
  }

  /** Checks one packet of `socket` (the `socket.use` middleware): calls `next` to let it through, or refuses it. */
  check(socket: Socket, packet: unknown[], next: (err?: Error) => void): void {
    const state = this.#states.get(socket);
    const event = packet[0];
    if (state === undefined) {
      // Released and disconnected (cut, expired, revoked, flooding): packets still in Socket.IO's pipeline are
      // dropped without a word, so a flood cannot turn into as many hook calls and log lines.
      if (!socket.connected) return;
      return this.#deny(socket, packet, new AuthMissingError());
    }
    // Before anything else, auth:refresh included: a flood costs one bucket update per event, nothing more.
    if (this.#limiter !== undefined) {
      const verdict = this.#limiter.take(socket);
      if (verdict !== 'allow') return this.#rateLimited(socket, packet, event, verdict === 'disconnect');
    }
    if (event === REFRESH_EVENT) {
      this.#reauth.refresh(socket, state, packet);
      return;
    }
    if (typeof event !== 'string') {
      return this.#deny(socket, packet, new AuthForbiddenError('event name must be a string'));
    }
    let context: AuthContext;
    try {
      context = state.auth.current();
    } catch (error) {
      return this.#deny(socket, packet, error as AuthError, event);
    }
    let requirement = this.#policy.requirementFor(event);
    if (requirement === undefined) {
      // Guards check their own requirement and call `authorize` themselves.
      if (this.#guardedOnly(socket, event)) return this.#pass(socket, event, packet, context, next);
      if (this.#unlisted === 'deny') {
        return this.#deny(socket, packet, new AuthForbiddenError(`"${truncate(event)}" is not allowed`), event);
      }
      // unlistedEvents: 'authenticated' — still subject to the live `authorize` hook, like every event.
      requirement = AUTHENTICATED;
    }
    if (!satisfies(context, requirement)) {
      return this.#deny(socket, packet, new AuthForbiddenError(`"${truncate(event)}" is not allowed`), event);
    }
    if (this.#authorize === undefined) {
      // Synchronous path: no allocation beyond Socket.IO's own, order preserved.
      this.#pass(socket, event, packet, context, next);
      return;
    }
    const hook = this.#authorize;
    const checked = requirement;
    state.queue = state.queue.then(async () => {
      try {
        // Re-read the context: a re-auth may have replaced it while earlier events were being checked.
        const current = state.auth.current();
        await authorizeAction(current, checked, event, eventArgs(packet.slice(1)), hook);
        // The deadline may have passed during the hook.
        this.#pass(socket, event, packet, state.auth.current(), next);
      } catch (error) {
        this.#deny(socket, packet, mapVerificationError(error), event);
      }
    });
  }

  /**
   * Lets an event that passed every check here through, by way of the `eventGate` when there is one: its refusals
   * are acked and reported here, like this check's own.
   */
  #pass(socket: Socket, event: string, packet: unknown[], context: AuthContext, next: (err?: Error) => void): void {
    if (this.#gate === undefined) return next();
    let verdict: EventGateVerdict;
    try {
      verdict = this.#gate(socket, event, packet, context);
    } catch (error) {
      return this.#deny(socket, packet, gateRefusal(error), event);
    }
    if (verdict === undefined) return next();
    if (typeof (verdict as PromiseLike<unknown>).then !== 'function') {
      return this.#deny(socket, packet, gateRefusal(verdict), event);
    }
    (verdict as PromiseLike<AuthError | undefined>).then(
      (later) => (later === undefined ? next() : this.#deny(socket, packet, gateRefusal(later), event)),
      (error: unknown) => this.#deny(socket, packet, gateRefusal(error), event),
    );
  }

  /** True when every listener of `event` on `socket` is a guard (guards do their own permission checks). */
  #guardedOnly(socket: Socket, event: string): boolean {
    if (this.#guards === 0) return false;
    const listeners = socket.listeners(event);
    return listeners.length > 0 && listeners.every((listener) => GUARD in listener);
  }

  /** Refuses an event: reported, and the ack (if any) receives the error. */
  #deny(socket: Socket, packet: unknown[], error: AuthError, event?: string): void {
    this.#reporter.failure(error, 'event', socket, event);
    ackPacket(packet, denied(error));
  }

  /** An event over the rate limit: refused before any check or handler; past the hard limit, the socket is cut. */
  #rateLimited(socket: Socket, packet: unknown[], event: unknown, cut: boolean): void {
    const error = new AuthUnavailableError('too many events, slow down', { cause: { name: 'RateLimited' } });
    this.#deny(socket, packet, error, typeof event === 'string' ? event : undefined);
    if (!cut) return;
    const subject = this.#states.get(socket)?.auth.context?.subject;
    this.#reporter.log(
      'warn',
      { sockauth: 'rate-limited', ...where(socket), code: error.code, action: error.action, ...(subject !== undefined && { subject }) },
      'sockauth: event flood past the rate limit, socket disconnected',
    );
    this.#disconnect(socket, error);
  }
}

/** An `eventGate` refusal: its own `AuthError`, or `AUTH_UNAVAILABLE` when it failed (nothing was decided). */
function gateRefusal(verdict: unknown): AuthError {
  return isAuthError(verdict) ? verdict : new AuthUnavailableError('event gate failed', { cause: { name: 'EventGateError' } });
}

function denied(error: AuthError): DeniedAck {
  return { error: error.toJSON() };
}

/** Why a guarded event whose socket's context lapsed during the `authorize` hook is refused. */
function safeCurrentError(auth: ConnectionAuth): AuthError {
  try {
    auth.current();
    return new AuthMissingError();
  } catch (error) {
    return error as AuthError;
  }
}
