import type { IncomingMessage } from 'node:http';
import {
  AuthMissingError,
  REFRESH_EVENT,
  SESSION_OPTION_KEYS,
  type AuthContext,
  type AuthError,
  type ReevaluationTargets,
  type RevocationTarget,
} from '@sockauth/core';
import type { HandshakeLike, TokenSource } from '@sockauth/socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { createWsAuth, resolveHeartbeat, type WsAuth, type WsAuthOptions, type WsServerOptions, type WsTokenSource } from '@sockauth/ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { DecoratorGate, type GateScope } from './decorator-gate.js';
import type { GatewayInfo } from './gateway.explorer.js';
import type { SockAuthModuleOptions } from './sockauth-options.interface.js';
import {
  bindClient,
  internalsOf,
  registerPlatform,
  type SockAuthPlatform,
  type SockAuthService,
} from './sockauth.service.js';
import { WsMessageDispatch, type ResultTransform } from './ws-message-dispatch.js';

/** One platform per service: every `ws` server of the application shares its session (and its revocations). */
const platforms = new WeakMap<SockAuthService, WsPlatform>();

/**
 * The `ws` platform of a {@link SockAuthService}: one `@sockauth/ws` `WsAuth` built from the module options (the
 * service's verifier and revocation store, so a revocation reaches Socket.IO and `ws` connections alike), the
 * gateways' permission decorators as its event gate, per server, and Nest's message handlers dispatched from
 * sockauth's `{ type, id?, data }` envelope. Built by `SockAuthWsAdapter` when it creates its first server.
 */
export class WsPlatform implements SockAuthPlatform {
  readonly wsAuth: WsAuth;
  readonly dispatch: WsMessageDispatch;
  readonly #service: SockAuthService;
  readonly #gateways: readonly GatewayInfo[];
  readonly #gate: DecoratorGate<WebSocket>;
  /** The scope of each server, then of each admitted client (the server it connected to). */
  readonly #scopes = new WeakMap<object, GateScope>();
  /** Servers of `@Public()` gateways (no upgrade authentication), then their clients. */
  readonly #unauthenticated = new WeakSet<object>();
  /** The path of each server of `@Public()` gateways: its clients are reported to `onAnonymous` under it. */
  readonly #openPaths = new WeakMap<WebSocketServer, string>();

  /** The platform of `service`, built (and registered with it) on first use. */
  static of(service: SockAuthService): WsPlatform {
    let platform = platforms.get(service);
    if (platform === undefined) {
      platform = new WsPlatform(service);
      platforms.set(service, platform);
      registerPlatform(service, platform);
    }
    return platform;
  }

  private constructor(service: SockAuthService) {
    const { options, resolved, gateways, enforcement } = internalsOf(service);
    refuseSkipNamespaces(options.skipNamespaces);
    refuseRefreshHandlers(gateways);
    this.#service = service;
    this.#gateways = gateways;
    const gate = new DecoratorGate<WebSocket>({
      authorize: options.authorize,
      scopeOf: (ws) => this.#scopes.get(ws),
      contextOf: (ws) => this.wsAuth.contextOf(ws),
      // A ws connection whose context ended (expiry, revocation) is cut by the session: none is left to check.
      missingContext: () => new AuthMissingError(),
    });
    gate.useGuardCoverage(enforcement.coverage);
    this.#gate = gate;
    const session: Record<string, unknown> = {};
    // The session's share of the resolved options; the Socket.IO platform's event gate (for Socket.IO sockets) is not.
    for (const key of Object.keys(SESSION_OPTION_KEYS)) {
      if (key === 'eventGate') continue;
      const value = (resolved as unknown as Record<string, unknown>)[key];
      if (value !== undefined) session[key] = value;
    }
    const wsOptions: WsAuthOptions = {
      ...(session as Partial<WsAuthOptions>),
      // The Socket.IO platform's verifier and store: one set of keys, one revocation list, whatever the platform.
      verifier: service.sockAuth.verifier,
      revocationStore: service.sockAuth.revocationStore,
      eventGate: gate.gate as WsAuthOptions['eventGate'],
      ...(resolved.cookie !== undefined && { cookie: resolved.cookie }),
      ...(resolved.allowQueryToken !== undefined && { allowQueryToken: resolved.allowQueryToken }),
      ...(resolved.tokenSources !== undefined && { tokenSources: upgradeSources(resolved.tokenSources) }),
      heartbeat: heartbeatOption(options.heartbeat),
    };
    this.wsAuth = createWsAuth(wsOptions);
    this.dispatch = new WsMessageDispatch(this.wsAuth);
  }

  /**
   * What to give `ws` for the server of `port` and `path`: `wsAuth.serverOptions`, or, for the server of
   * `@Public()` gateways, all of them but `verifyClient` (the token subprotocol is still never echoed, frames still
   * limited). A public and a protected gateway cannot share a server: a `TypeError` at start-up.
   */
  serverOptions(port: number, path: unknown): Partial<WsServerOptions> {
    const serving = this.#serving(port, path);
    const open = serving.filter((g) => g.isPublic);
    if (open.length === 0) return this.wsAuth.serverOptions;
    if (open.length < serving.length) {
      throw new TypeError(
        `sockauth: @Public() gateway ${nameOf(open[0]!)} and protected gateway ${nameOf(serving.find((g) => !g.isPublic)!)} ` +
          `share the ws server of port ${port} and path ${String(path ?? '/')}; a public gateway's server skips upgrade ` +
          'authentication, so give it a path of its own',
      );
    }
    const { verifyClient: _verifyClient, ...rest } = this.wsAuth.serverOptions;
    return rest;
  }

  /**
   * Wires a server Nest's `WsAdapter` created with {@link serverOptions} for the gateways of `port` and `path`: its
   * upgrades are verified, its clients' messages go through the session and the gateways' decorators. The server
   * of `@Public()` gateways is not attached: its clients have no context.
   */
  serve(server: WebSocketServer, port: number, path: unknown): void {
    const serving = this.#serving(port, path);
    if (serving.length > 0 && serving.every((g) => g.isPublic)) {
      this.#unauthenticated.add(server);
      this.#openPaths.set(server, typeof path === 'string' ? path : '/');
    } else this.wsAuth.attach(server);
    this.#scopes.set(server, { key: server, gateways: () => serving });
  }

  /**
   * Whether `ws`, a client of `server`, was admitted (its upgrade authenticated, not cut since): only then does Nest
   * see it. Called from the server's `'connection'` event, after sockauth's own listener.
   */
  admit(ws: WebSocket, server: WebSocketServer): boolean {
    if (this.#unauthenticated.has(server)) {
      this.#unauthenticated.add(ws);
      this.wsAuth.reportAnonymous(ws, this.#openPaths.get(server) ?? '/');
    } else if (this.wsAuth.contextOf(ws) === undefined) return false;
    const scope = this.#scopes.get(server);
    if (scope !== undefined) this.#scopes.set(ws, scope);
    bindClient(ws, this.#service);
    return true;
  }

  /** Binds Nest's handlers of an admitted client: through the session, or (public gateways) unauthenticated. */
  bindHandlers(ws: WebSocket, handlers: readonly MessageMappingProperties[], transform: ResultTransform): void {
    if (!this.#unauthenticated.has(ws)) return this.dispatch.bind(ws, handlers, transform);
    this.dispatch.bindUnauthenticated(ws, handlers, transform, (type) => this.#gate.refuseUnauthenticated(ws, type));
  }

  contextOf(client: object): AuthContext | undefined {
    return this.wsAuth.contextOf(client as WebSocket);
  }

  join(client: object, room: string): Promise<void> {
    return this.wsAuth.join(client as WebSocket, room);
  }

  reportFailure(client: object, error: AuthError, event: string): void {
    this.wsAuth.reportEventFailure(client as WebSocket, error, event);
  }

  revoke(target: RevocationTarget): Promise<{ disconnected: number }> {
    return this.wsAuth.revoke(target);
  }

  reevaluate(target: ReevaluationTargets): Promise<{ affected: number }> {
    return this.wsAuth.reevaluate(target);
  }

  close(): void {
    this.wsAuth.close();
  }

  /** The gateways Nest serves from the server of `port` and `path` (its key for a server, the options as given). */
  #serving(port: number, path: unknown): readonly GatewayInfo[] {
    return this.#gateways.filter((g) => g.server.port === port && g.server.path === path);
  }
}

/** The module's `heartbeat`, checked under its own name (`createWsAuth` would name its own option). */
function heartbeatOption(heartbeat: SockAuthModuleOptions['heartbeat']): WsAuthOptions['heartbeat'] {
  const intervalMs = resolveHeartbeat(heartbeat, 'SockAuthModule options.heartbeat');
  return intervalMs === undefined ? false : { intervalMs };
}

/** `skipNamespaces` names Socket.IO namespaces: refused at start-up rather than ignored. */
function refuseSkipNamespaces(skipNamespaces: unknown): void {
  if (skipNamespaces !== undefined && (!Array.isArray(skipNamespaces) || skipNamespaces.length > 0)) {
    throw new TypeError('sockauth: "skipNamespaces" names Socket.IO namespaces; SockAuthWsAdapter has none (use @Public() on a gateway)');
  }
}

/** `auth:refresh` is the session's own message (in-band re-auth): a gateway handler for it would never run. */
function refuseRefreshHandlers(gateways: readonly GatewayInfo[]): void {
  const handling = gateways.find((g) => g.patterns.includes(REFRESH_EVENT));
  if (handling !== undefined) {
    throw new TypeError(`sockauth: ${nameOf(handling)} subscribes to "${REFRESH_EVENT}", which sockauth handles itself (in-band re-auth)`);
  }
}

function nameOf(gateway: GatewayInfo): string {
  return gateway.metatype.name || 'anonymous gateway';
}

/**
 * The module's token sources, in the `ws` upgrade's terms: Socket.IO's `auth` payload is the browser's way to send a
 * token, which on `ws` is the `sockauth.bearer.<token>` subprotocol; a custom extractor (a passport strategy's, or
 * yours) sees the upgrade request as a handshake (`auth` empty).
 */
function upgradeSources(sources: readonly TokenSource[]): WsTokenSource[] {
  return sources.map((source): WsTokenSource => {
    if (source === 'auth') return 'subprotocol';
    if (typeof source !== 'function') return source;
    return (req: Readonly<IncomingMessage>) => source(handshakeOf(req));
  });
}

function handshakeOf(req: Readonly<IncomingMessage>): HandshakeLike {
  const url = typeof req.url === 'string' ? req.url : '/';
  const query = Object.fromEntries(new URL(url, 'http://localhost').searchParams);
  return { headers: { ...req.headers }, query, auth: {}, url };
}
