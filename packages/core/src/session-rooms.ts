import type { AuthContext } from './auth-context.js';
import { AuthForbiddenError, AuthMissingError, type AuthError } from './errors.js';
import type { AuthorizeHook } from './permissions.js';
import { ROOM_LEFT_EVENT, roomLeftPayload } from './protocol.js';
import type { RoomPolicy } from './room-policy.js';
import type { RoomLeftNotices } from './room-left-notices.js';
import { identityOf, safely, type SessionHooks } from './session-hooks.js';
import type { SessionReporter } from './session-reporter.js';
import type { SessionStates } from './session-state.js';
import type { SessionTransport } from './session-transport.js';

/** The error of every static eviction (a room the policy no longer admits for the context): one frozen instance. */
let STATIC_EVICTION: AuthForbiddenError | undefined;

/** What room membership needs from the session it serves. */
export interface SessionRoomsDeps<H extends object> {
  readonly policy: RoomPolicy;
  readonly authorize: AuthorizeHook | undefined;
  readonly transport: SessionTransport<H, unknown>;
  readonly states: SessionStates<H>;
  readonly reporter: SessionReporter<H>;
  readonly hooks: SessionHooks;
}

/**
 * Rooms that follow the current authorization: joins go through the room policy (and the `authorize` veto); every
 * change of a connection's context re-checks its rooms, leaves the ones it may no longer be in and tells the client
 * `auth:room-left`. The static part of a re-check (rules, bindings, permissions) runs synchronously with the
 * change itself, so no broadcast to a room the new context may not be in is delivered after it; the live
 * `authorize` part follows.
 */
export class SessionRooms<H extends object> {
  readonly #deps: SessionRoomsDeps<H>;

  constructor(deps: SessionRoomsDeps<H>) {
    const { transport } = deps;
    if (typeof transport.rooms !== 'function' || typeof transport.join !== 'function' || typeof transport.leave !== 'function') {
      throw new TypeError('sockauth: room policies need a transport that can list, join and leave rooms');
    }
    this.#deps = deps;
  }

  /** The policy in force. */
  get policy(): RoomPolicy {
    return this.#deps.policy;
  }

  /** Whether a re-check has a live part ({@link evictLive}): only with an `authorize` hook. */
  get checksLive(): boolean {
    return this.#deps.authorize !== undefined;
  }

  /** Decides a join with the context in force, then joins. Rejects with the `AuthError` (reported, stage `join`). */
  async join(handle: H, room: unknown): Promise<void> {
    const { states, policy, authorize, transport, reporter } = this.#deps;
    const state = states.get(handle);
    try {
      if (state === undefined) throw new AuthMissingError();
      await policy.check(state.auth.current(), room, authorize);
      // The context may have changed (or lapsed) while the hook decided: join only what the context now in force allows.
      const context = state.auth.current();
      if (!policy.allows(context, room)) throw new AuthForbiddenError('the context in force no longer admits this room');
      if (!transport.isOpen(handle)) throw new AuthMissingError('connection closed');
      transport.join!(handle, room as string);
    } catch (error) {
      const authError = error as AuthError;
      reporter.failure(authError, 'join', handle, undefined, typeof room === 'string' ? room : undefined);
      throw authError;
    }
  }

  /**
   * Leaves, synchronously, every room `context` may not be in by the static rules. Called in the same tick as the
   * context change. With `notices`, the client is told later, by their flush (the room is left now either way).
   */
  evictStatic(handle: H, context: AuthContext, notices?: RoomLeftNotices<H>): void {
    const { policy, transport } = this.#deps;
    let doomed: string[] | undefined;
    for (const room of transport.rooms!(handle)) if (!policy.allows(context, room)) (doomed ??= []).push(room);
    if (doomed === undefined) return;
    const error = (STATIC_EVICTION ??= Object.freeze(new AuthForbiddenError('the context in force no longer admits this room')));
    for (const room of doomed) this.#evict(handle, context, room, error, notices);
  }

  /**
   * The live part of a re-check: asks `authorize` (action `auth:room-stay`) for every room left and evicts those it
   * refuses (or could not decide: fail closed). Resolves when done; never rejects.
   */
  async evictLive(handle: H, context: AuthContext): Promise<void> {
    const { policy, authorize, transport, states } = this.#deps;
    if (authorize === undefined) return;
    const rooms = [...transport.rooms!(handle)];
    if (rooms.length === 0) return;
    const leaves = await policy.reevaluate(context, rooms, authorize);
    // Decided for `context`: if another change happened meanwhile, its own re-check decides.
    if (states.get(handle)?.auth.context !== context) return;
    for (const { room, error } of leaves) this.#evict(handle, context, room, error);
  }

  #evict(handle: H, context: AuthContext, room: string, error: AuthError, notices?: RoomLeftNotices<H>): void {
    const { transport, reporter, hooks } = this.#deps;
    try {
      transport.leave!(handle, room);
    } catch {
      // A transport must not throw; if it does, the eviction is still told and reported.
    }
    if (notices !== undefined) notices.add(handle, room, error);
    else if (transport.isOpen(handle)) safely(() => transport.send(handle, ROOM_LEFT_EVENT, roomLeftPayload(room, error)));
    // Where the connection is, the hook's payload and the log record are built only for a hook or a logger that
    // takes them: a whole tenant's evictions are thousands, all in one turn.
    const hook = hooks.onRoomLeft !== undefined;
    if (!hook && !reporter.logging) return;
    const where = reporter.where(handle);
    if (hook) safely(() => hooks.onRoomLeft?.({ ...where, ...identityOf(context), room, code: error.code }));
    reporter.log('info', { sockauth: 'room-left', ...where, subject: context.subject, room, code: error.code }, 'sockauth: room left after a context change');
  }
}
