import { AuthExpiredError, AuthMissingError, deniedAck, type AuthContext, type AuthError, type AuthorizeHook } from '@sockauth/core';
import { matchesAnyNamespace, matchesNamespace, onEveryNamespace, type EventGate, type NamespaceRule } from '@sockauth/socket.io';
import type { Namespace, Server, Socket } from 'socket.io';
import { DecoratorGate, type GuardCoverage } from './decorator-gate.js';
import type { GatewayInfo } from './gateway.explorer.js';

export type { GuardCoverage } from './decorator-gate.js';

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

/**
 * Enforces the permission decorators of gateway handlers on the Socket.IO platform, outside Nest's guard pipeline:
 * a {@link DecoratorGate} per namespace (the gateways serving it chosen as Socket.IO serves names), checked in
 * sockauth's per-socket hook before Socket.IO hands the event to Nest.
 *
 * - Authenticated namespaces: {@link gate}, SockAuth's `eventGate`, with the context in force when the packet is
 *   handled.
 * - Unauthenticated namespaces (`@Public()` gateways, `skipNamespaces`): no context there, so an event whose
 *   handler has permission decorators (or any non-public handler, with `authorize`) is refused `AUTH_MISSING`.
 * - Events no enforced handler serves pass: sockauth's own `events` / `unlistedEvents` already decided them.
 *
 * A refusal is the event's ack `{ error: { code, action, message } }` (as `WsAuthExceptionFilter` sends for the
 * guard); the socket stays connected and no handler runs.
 */
export class DecoratorEnforcement {
  readonly #gateways: readonly GatewayInfo[];
  readonly #skip: readonly NamespaceRule[];
  readonly #report: (socket: Socket, error: AuthError, event: string) => void;
  readonly #gate: DecoratorGate<Socket>;
  readonly #installed = new WeakSet<Namespace>();
  #covered: GuardCoverage = () => false;

  /** Which handlers `WsAuthGuard` runs for, as the module last said (shared with the `ws` platform's gate). */
  readonly coverage: GuardCoverage = (handler, gateway) => this.#covered(handler, gateway);

  constructor(options: DecoratorEnforcementOptions) {
    this.#gateways = options.gateways;
    this.#skip = options.skipNamespaces;
    this.#report = options.report;
    this.#gate = new DecoratorGate<Socket>({
      authorize: options.authorize,
      scopeOf: (socket) => ({ key: socket.nsp, gateways: () => this.#serving(socket.nsp.name) }),
      contextOf: options.contextOf,
      missingContext: missingContextError,
    });
    this.#gate.useGuardCoverage(this.coverage);
    this.gate = this.#gate.gate;
  }

  /** SockAuth's `eventGate`: see {@link DecoratorGate.gate}. */
  readonly gate: EventGate;

  /**
   * Tells which handlers `WsAuthGuard` runs for. Read when a namespace's table is first built (at its first event),
   * so global guards added after the module was created are seen.
   */
  useGuardCoverage(covered: GuardCoverage): void {
    this.#covered = covered;
  }

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
    const refusal = this.#gate.refuseUnauthenticated(socket, event);
    if (refusal === undefined) return next();
    this.#deny(socket, packet, event, refusal);
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

  /**
   * The gateways serving namespace `name`. Socket.IO serves a name from the namespace created with exactly that name
   * when there is one (gateways' string namespaces all exist from start-up), otherwise from a dynamic child of a
   * matching pattern: the gateways serving it are chosen the same way. Overlapping patterns all count.
   */
  #serving(name: string): readonly GatewayInfo[] {
    const exact = this.#gateways.filter((g) => typeof g.namespace === 'string' && g.namespace === name);
    return exact.length > 0 ? exact : this.#gateways.filter((g) => g.namespace instanceof RegExp && matchesNamespace(g.namespace, name));
  }
}

/**
 * Why `socket` has no context in force. SockAuth keeps `socket.data.auth` until it releases the socket: a context
 * that is still there but no longer in force has passed its deadline (revocations release at once).
 */
export function missingContextError(socket: Socket): AuthError {
  const data = socket?.data as { auth?: unknown } | undefined;
  return data?.auth !== undefined ? new AuthExpiredError() : new AuthMissingError();
}
