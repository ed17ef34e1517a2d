import { Reflector } from '@nestjs/core';
import {
  AuthExpiredError,
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
  deniedAck,
  type CompiledRequirement,
} from '@sockauth/core';
import { matchesAnyNamespace, matchesNamespace, onEveryNamespace, type EventGate, type NamespaceRule } from '@sockauth/socket.io';
import type { Namespace, Server, Socket } from 'socket.io';
import { messageHandlers, type GatewayInfo } from './gateway.explorer.js';
import { handlerRequirement } from './handler-requirement.js';
import { rememberMessageArgs } from './message-args.js';

/**
 * What an event needs in one namespace, from the handlers the module enforces (those `WsAuthGuard` does not
 * run for). One requirement per distinct requirement of those handlers, all to be met: two gateways handling the
 * same event with different requirements are both enforced. Present only when at least one such handler is not
 * `@Public()`; then the `authorize` hook also runs.
 */
interface EventEntry {
  readonly requirements: readonly CompiledRequirement[];
}
type NamespaceTable = ReadonlyMap<string, EventEntry>;

/** Decides whether `WsAuthGuard` runs for a handler of a gateway (set by the module, which knows the guards). */
export type GuardCoverage = (handler: Function, gateway: Function) => boolean;

/** What the enforcement needs from the service. */
export interface DecoratorEnforcementOptions {
  readonly gateways: readonly GatewayInfo[];
  /** The module's live `authorize` hook. */
  readonly authorize: AuthorizeHook | undefined;
  /** The namespaces sockauth leaves unauthenticated (`skipNamespaces` and `@Public()` gateways'). */
  readonly skipNamespaces: readonly NamespaceRule[];
  /** The context in force for a socket now. */
  readonly contextOf: (socket: Socket) => AuthContext | undefined;
  /** Reports a refusal to the hooks and the logger, like SockAuth's own. */
  readonly report: (socket: Socket, error: AuthError, event: string) => void;
}

/** The initial per-socket decision queue: one settled promise shared by every socket. */
const SETTLED: Promise<void> = Promise.resolve();
const AUTHENTICATED = compileRequirement(null);

/**
 * Enforces the permission decorators of gateway handlers outside Nest's guard pipeline: an event → requirement
 * table per namespace, derived from the gateways' `@SubscribeMessage()` handlers and `@RequirePermissions()`,
 * `@RequireAnyPermission()`, `@Public()` (exactly as {@link WsAuthGuard} reads them), checked in sockauth's
 * per-socket hook before Socket.IO hands the event to Nest. Handlers `WsAuthGuard` runs for are left to the guard,
 * so each handler is decided (and each refusal reported) once.
 *
 * - Authenticated namespaces: {@link gate}, SockAuth's `eventGate`, with the context in force when the packet is
 *   handled; synchronous and allocation-free without an `authorize` hook.
 * - Unauthenticated namespaces (`@Public()` gateways, `skipNamespaces`): no context there, so an event whose
 *   handler has permission decorators (or any non-public handler, with `authorize`) is refused `AUTH_MISSING`.
 * - Events no enforced handler serves pass: sockauth's own `events` / `unlistedEvents` already decided them.
 *
 * A refusal is the event's ack `{ error: { code, action, message } }` (as `WsAuthExceptionFilter` sends for the
 * guard); the socket stays connected and no handler runs.
 */
export class DecoratorEnforcement {
  readonly #gateways: readonly GatewayInfo[];
  readonly #authorize: AuthorizeHook | undefined;
  readonly #skip: readonly NamespaceRule[];
  readonly #contextOf: (socket: Socket) => AuthContext | undefined;
  readonly #report: (socket: Socket, error: AuthError, event: string) => void;
  readonly #reflector = new Reflector();
  readonly #tables = new WeakMap<Namespace, NamespaceTable>();
  readonly #queues = new WeakMap<Socket, Promise<unknown>>();
  readonly #installed = new WeakSet<Namespace>();
  #covered: GuardCoverage = () => false;

  constructor(options: DecoratorEnforcementOptions) {
    if (options.authorize !== undefined && typeof options.authorize !== 'function') {
      throw new TypeError('sockauth: "authorize" must be a function');
    }
    this.#gateways = options.gateways;
    this.#authorize = options.authorize;
    this.#skip = options.skipNamespaces;
    this.#contextOf = options.contextOf;
    this.#report = options.report;
  }

  /**
   * Tells which handlers `WsAuthGuard` runs for. Read when a namespace's table is first built (at its first event),
   * so global guards added after the module was created are seen.
   */
  useGuardCoverage(covered: GuardCoverage): void {
    this.#covered = covered;
  }

  /**
   * SockAuth's `eventGate`: the check of an event that passed sockauth's own checks, in an authenticated namespace.
   * It only decides; SockAuth acks and reports a refusal like its own.
   */
  readonly gate: EventGate = (socket, event, args, context) => {
    // WsAuthGuard, when it decides a handler, rebuilds the hook's arguments from Nest's message data.
    if (this.#authorize !== undefined) rememberMessageArgs(args);
    const entry = this.#table(socket.nsp).get(event);
    if (entry === undefined) return undefined;
    const requirements = entry.requirements;
    for (let i = 0; i < requirements.length; i++) {
      if (!satisfies(context, requirements[i]!)) return forbidden(event);
    }
    if (this.#authorize === undefined) return undefined;
    return this.#authorizeInOrder(socket, event, args, entry, this.#authorize);
  };

  /**
   * Installs the check of unauthenticated namespaces on `server`, existing and future ones. SockAuth installs
   * nothing there, so this is a `socket.use` of its own, added on `connection` (which, unlike namespace
   * middlewares, also runs for sockets restored by connection state recovery).
   */
  attach(server: Server): void {
    const install = (nsp: Namespace): void => {
      if (this.#installed.has(nsp) || !matchesAnyNamespace(this.#skip, nsp.name)) return;
      this.#installed.add(nsp);
      nsp.prependListener('connection', (socket: Socket) => {
        socket.use((packet, next) => this.#checkUnauthenticated(socket, packet, next));
      });
    };
    onEveryNamespace(server, install);
  }

  #checkUnauthenticated(socket: Socket, packet: unknown[], next: (err?: Error) => void): void {
    const event = packet[0];
    if (typeof event !== 'string') return next();
    const entry = this.#table(socket.nsp).get(event);
    if (entry === undefined || (entry.requirements.length === 0 && this.#authorize === undefined)) return next();
    this.#deny(socket, packet, event, new AuthMissingError());
  }

  /**
   * The `authorize` hook, in arrival order per socket (a later event must not overtake an earlier one whose hook is
   * slower). The context is read again when the event's turn comes and after the hook: a re-auth, the deadline or
   * a revocation may have happened meanwhile.
   */
  #authorizeInOrder(
    socket: Socket,
    event: string,
    args: AuthorizeArgs,
    entry: EventEntry,
    authorize: AuthorizeHook,
  ): Promise<AuthError | undefined> {
    const decide = async (): Promise<AuthError | undefined> => {
      try {
        const current = this.#contextNow(socket);
        for (const requirement of entry.requirements) if (!satisfies(current, requirement)) return forbidden(event);
        await authorizeAction(current, AUTHENTICATED, event, args, authorize);
        this.#contextNow(socket);
        return undefined;
      } catch (error) {
        return mapVerificationError(error);
      }
    };
    const verdict = (this.#queues.get(socket) ?? SETTLED).then(decide);
    this.#queues.set(socket, verdict);
    return verdict;
  }

  #contextNow(socket: Socket): AuthContext {
    const current = this.#contextOf(socket);
    if (current === undefined) throw missingContextError(socket);
    return current;
  }

  #deny(socket: Socket, packet: readonly unknown[], event: string, error: AuthError): void {
    try {
      this.#report(socket, error, event);
    } catch {
      // Observability must never break authorization.
    }
    const ack = packet[packet.length - 1];
    if (typeof ack !== 'function') return;
    try {
      ack(deniedAck(error));
    } catch {
      // An ack on a closed socket is a no-op in Socket.IO; nothing may escape the middleware.
    }
  }

  #table(nsp: Namespace): NamespaceTable {
    let table = this.#tables.get(nsp);
    if (table === undefined) {
      table = this.#build(nsp.name);
      this.#tables.set(nsp, table);
    }
    return table;
  }

  /**
   * The table of namespace `name`. Socket.IO serves a name from the namespace created with exactly that name when
   * there is one (gateways' string namespaces all exist from start-up), otherwise from a dynamic child of a
   * matching pattern: the gateways serving it are chosen the same way. Overlapping patterns all count.
   */
  #build(name: string): NamespaceTable {
    const exact = this.#gateways.filter((g) => typeof g.namespace === 'string' && g.namespace === name);
    const serving =
      exact.length > 0 ? exact : this.#gateways.filter((g) => g.namespace instanceof RegExp && matchesNamespace(g.namespace, name));
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

function forbidden(event: string): AuthError {
  return new AuthForbiddenError(`"${event}" is not allowed`);
}

/**
 * Why `socket` has no context in force. SockAuth keeps `socket.data.auth` until it releases the socket: a context
 * that is still there but no longer in force has passed its deadline (revocations release at once).
 */
export function missingContextError(socket: Socket): AuthError {
  const data = socket?.data as { auth?: unknown } | undefined;
  return data?.auth !== undefined ? new AuthExpiredError() : new AuthMissingError();
}
