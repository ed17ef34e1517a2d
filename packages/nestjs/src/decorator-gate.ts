import { Reflector } from '@nestjs/core';
import {
  AuthForbiddenError,
  AuthMissingError,
  authorizeAction,
  compileRequirement,
  mapVerificationError,
  satisfies,
  type AuthContext,
  type AuthError,
  type AuthorizeArgs,
  type AuthorizeHook,
  type CompiledRequirement,
  type EventGate,
} from '@sockauth/core';
import { messageHandlers, type GatewayInfo } from './gateway.explorer.js';
import { handlerRequirement } from './handler-requirement.js';
import { rememberMessageArgs } from './message-args.js';

/**
 * What an event needs in one scope (a Socket.IO namespace, a `ws` server), from the handlers the module enforces
 * (those `WsAuthGuard` does not run for). One requirement per distinct requirement of those handlers, all to be
 * met: two gateways handling the same event with different requirements are both enforced. Present only when at
 * least one such handler is not `@Public()`; then the `authorize` hook also runs.
 */
export interface EventEntry {
  readonly requirements: readonly CompiledRequirement[];
}
export type EventTable = ReadonlyMap<string, EventEntry>;

/** Decides whether `WsAuthGuard` runs for a handler of a gateway (set by the module, which knows the guards). */
export type GuardCoverage = (handler: Function, gateway: Function) => boolean;

/** Where a connection's messages are served: a key for the cached table, and the gateways serving it. */
export interface GateScope {
  /** Identity of the scope (the namespace, the server): its table is built once. */
  readonly key: object;
  /** The gateways whose handlers serve the scope's messages (read once, when the table is built). */
  readonly gateways: () => readonly GatewayInfo[];
}

/** What the gate needs from its platform. */
export interface DecoratorGateOptions<H extends object> {
  /** The module's live `authorize` hook. */
  readonly authorize: AuthorizeHook | undefined;
  /** The scope of a connection, or `undefined` when none of the gateways serves it (nothing to enforce). */
  readonly scopeOf: (handle: H) => GateScope | undefined;
  /** The context in force for a connection now. */
  readonly contextOf: (handle: H) => AuthContext | undefined;
  /** Why a connection has no context in force (`AUTH_EXPIRED`, `AUTH_MISSING`). */
  readonly missingContext: (handle: H) => AuthError;
}

/** The initial per-connection decision queue: one settled promise shared by every connection. */
const SETTLED: Promise<void> = Promise.resolve();
const AUTHENTICATED = compileRequirement(null);

/**
 * The permission decorators of gateway handlers as a transport-agnostic event gate (core's `EventGate`), shared by
 * the Socket.IO and `ws` platforms: an event → requirement table per scope, derived from the serving gateways'
 * `@SubscribeMessage()` handlers and `@RequirePermissions()`, `@RequireAnyPermission()`, `@Public()` (exactly as
 * `WsAuthGuard` reads them), then the `authorize` hook in arrival order per connection. Synchronous and
 * allocation-free without an `authorize` hook. Handlers `WsAuthGuard` runs for are left to the guard, so each
 * handler is decided (and each refusal reported) once. It only decides: the session acks and reports a refusal.
 */
export class DecoratorGate<H extends object> {
  readonly #authorize: AuthorizeHook | undefined;
  readonly #scopeOf: (handle: H) => GateScope | undefined;
  readonly #contextOf: (handle: H) => AuthContext | undefined;
  readonly #missingContext: (handle: H) => AuthError;
  readonly #reflector = new Reflector();
  readonly #tables = new WeakMap<object, EventTable>();
  readonly #queues = new WeakMap<H, Promise<unknown>>();
  #covered: GuardCoverage = () => false;

  constructor(options: DecoratorGateOptions<H>) {
    if (options.authorize !== undefined && typeof options.authorize !== 'function') {
      throw new TypeError('sockauth: "authorize" must be a function');
    }
    this.#authorize = options.authorize;
    this.#scopeOf = options.scopeOf;
    this.#contextOf = options.contextOf;
    this.#missingContext = options.missingContext;
  }

  /**
   * Tells which handlers `WsAuthGuard` runs for. Read when a scope's table is first built (at its first event), so
   * global guards added after the module was created are seen.
   */
  useGuardCoverage(covered: GuardCoverage): void {
    this.#covered = covered;
  }

  /** The check of an event that passed the session's own checks, with the context in force. */
  readonly gate: EventGate<H> = (handle, event, args, context) => {
    // WsAuthGuard, when it decides a handler, rebuilds the hook's arguments from Nest's message data.
    if (this.#authorize !== undefined) rememberMessageArgs(args);
    const entry = this.entryOf(handle, event);
    if (entry === undefined) return undefined;
    const requirements = entry.requirements;
    for (let i = 0; i < requirements.length; i++) {
      if (!satisfies(context, requirements[i]!)) return forbidden(event);
    }
    if (this.#authorize === undefined) return undefined;
    return this.#authorizeInOrder(handle, event, args, entry, this.#authorize);
  };

  /**
   * The refusal of `event` on an unauthenticated connection (a public gateway's: no context there), or `undefined`
   * when it may run: refused `AUTH_MISSING` when a handler serving it has permission decorators, or any non-public
   * handler does with an `authorize` hook.
   */
  refuseUnauthenticated(handle: H, event: string): AuthError | undefined {
    const entry = this.entryOf(handle, event);
    if (entry === undefined || (entry.requirements.length === 0 && this.#authorize === undefined)) return undefined;
    return new AuthMissingError();
  }

  /** What `event` needs on `handle`'s scope, or `undefined` when no enforced handler serves it. */
  entryOf(handle: H, event: string): EventEntry | undefined {
    const scope = this.#scopeOf(handle);
    if (scope === undefined) return undefined;
    let table = this.#tables.get(scope.key);
    if (table === undefined) {
      table = this.#build(scope.gateways());
      this.#tables.set(scope.key, table);
    }
    return table.get(event);
  }

  /**
   * The `authorize` hook, in arrival order per connection (a later event must not overtake an earlier one whose
   * hook is slower). The context is read again when the event's turn comes and after the hook: a re-auth, the
   * deadline or a revocation may have happened meanwhile.
   */
  #authorizeInOrder(handle: H, event: string, args: AuthorizeArgs, entry: EventEntry, authorize: AuthorizeHook): Promise<AuthError | undefined> {
    const decide = async (): Promise<AuthError | undefined> => {
      try {
        const current = this.#contextNow(handle);
        for (const requirement of entry.requirements) if (!satisfies(current, requirement)) return forbidden(event);
        await authorizeAction(current, AUTHENTICATED, event, args, authorize);
        this.#contextNow(handle);
        return undefined;
      } catch (error) {
        return mapVerificationError(error);
      }
    };
    const verdict = (this.#queues.get(handle) ?? SETTLED).then(decide);
    this.#queues.set(handle, verdict);
    return verdict;
  }

  #contextNow(handle: H): AuthContext {
    const current = this.#contextOf(handle);
    if (current === undefined) throw this.#missingContext(handle);
    return current;
  }

  #build(serving: readonly GatewayInfo[]): EventTable {
    const requirements = new Map<string, Map<string, CompiledRequirement>>();
    for (const gateway of serving) {
      for (const { handler, pattern } of messageHandlers(gateway.metatype)) {
        if (this.#covered(handler, gateway.metatype)) continue;
        const requirement = handlerRequirement(this.#reflector, handler, gateway.metatype);
        if (requirement === 'public') continue;
        let distinct = requirements.get(pattern);
        if (distinct === undefined) requirements.set(pattern, (distinct = new Map()));
        if (requirement.allOf.length + requirement.anyOf.length === 0) continue;
        distinct.set(JSON.stringify(requirement), requirement);
      }
    }
    const table = new Map<string, EventEntry>();
    for (const [pattern, distinct] of requirements) table.set(pattern, { requirements: Object.freeze([...distinct.values()]) });
    return table;
  }
}

/** The refusal of an event the decorators do not allow. */
export function forbidden(event: string): AuthError {
  return new AuthForbiddenError(`"${event}" is not allowed`);
}
