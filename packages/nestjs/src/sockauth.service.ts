import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, ModuleRef, Reflector } from '@nestjs/core';
import {
  AuthMissingError,
  assertKnownKeys,
  assertPlainObject,
  authenticateToken,
  createVerifier,
  type AuthContext,
  type AuthError,
  type ClaimsMapper,
  type ReevaluationTargets,
  type RevocationTarget,
  type Verifier,
  type VerifierOptions,
} from '@sockauth/core';
import { createSockAuth, type SockAuth, type SockAuthOptions, type TokenSource } from '@sockauth/socket.io';
import type { Server, Socket } from 'socket.io';
import { DecoratorEnforcement } from './decorator-enforcement.js';
import { assertHandlerRequirements } from './handler-requirement.js';
import { exploreGateways, type GatewayInfo } from './gateway.explorer.js';
import { jwtServiceVerify, type DelegatedVerify } from './jwt-service.verifier.js';
import { passportVerify } from './passport.verifier.js';
import { publicNamespaceRule } from './public-namespaces.js';
import type { NamespaceRule } from '@sockauth/socket.io';
import { SOCKAUTH_MODULE_OPTIONS } from './sockauth.constants.js';
import {
  DELEGATED_VERIFIER_POLICY_KEYS,
  SOCKAUTH_MODULE_OPTION_KEYS,
  SOCKAUTH_PASSPORT_OPTION_KEYS,
  type SockAuthModuleOptions,
} from './sockauth-options.interface.js';

/** Which service authenticates the sockets of a Socket.IO server (read by the guard and the decorators). */
const servicesByServer = new WeakMap<object, SockAuthService>();
/** Which service authenticated a client of another platform (a `ws` WebSocket), set when it is admitted. */
const servicesByClient = new WeakMap<object, SockAuthService>();

/**
 * A platform besides Socket.IO (the `ws` one, from `@sockauth/nestjs/ws`) as the service sees it: built lazily by
 * its adapter (so an application that does not use it never loads it) and registered with {@link registerPlatform}.
 */
export interface SockAuthPlatform {
  /** The context in force for one of its clients, `undefined` for anything else. */
  contextOf(client: object): AuthContext | undefined;
  revoke(target: RevocationTarget): Promise<{ disconnected: number }>;
  reevaluate(target: ReevaluationTargets): Promise<{ affected: number }>;
  /** Joins one of its clients to `room` through the session's room policy; rejects with the `AuthError`. */
  join(client: object, room: string): Promise<void>;
  /** Reports a refusal decided by Nest's pipeline (the guard) for one of its clients, like its own; ignores others. */
  reportFailure?(client: object, error: AuthError, event: string): void;
  close(): void;
}

/** What the module, the guard and the decorators need from a service; not part of its public API. */
export interface ServiceInternals {
  /** The module options, as given. */
  readonly options: SockAuthModuleOptions;
  /** The gateways of the application, as found when the module was built. */
  readonly gateways: readonly GatewayInfo[];
  /** The enforcement of the permission decorators in sockauth's per-socket hook. */
  readonly enforcement: DecoratorEnforcement;
  readonly logger: Logger;
  /** The options given to `@sockauth/socket.io`, resolved from the module options (verifier, mapClaims, sources). */
  readonly resolved: SockAuthOptions;
  /** The other platforms serving the application's gateways (see {@link registerPlatform}). */
  readonly platforms: SockAuthPlatform[];
}
const internals = new WeakMap<SockAuthService, ServiceInternals>();

/** The internals of `service`. */
export function internalsOf(service: SockAuthService): ServiceInternals {
  return internals.get(service)!;
}

/** Registers a platform with `service`: its clients' contexts, revocations and re-evaluations go through it too. */
export function registerPlatform(service: SockAuthService, platform: SockAuthPlatform): void {
  internalsOf(service).platforms.push(platform);
}

/** Records that `service` authenticated `client` (a client of a registered platform). */
export function bindClient(client: object, service: SockAuthService): void {
  servicesByClient.set(client, service);
}

/**
 * Reports a refusal decided outside `SockAuth` (by the guard or the decorator enforcement) to the `onAuthFailure` hook and the `logger`, the
 * same way `SockAuth` reports its own. Never throws.
 */
export function reportFailure(service: SockAuthService, error: AuthError, socket: Socket, event: string): void {
  try {
    // A client of another platform is not a Socket.IO socket: its platform reports it.
    if (servicesByClient.has(socket)) {
      for (const platform of internalsOf(service).platforms) platform.reportFailure?.(socket, error, event);
      return;
    }
    service.sockAuth.reportEventFailure(socket, error, event);
  } catch {
    // Observability must never break authorization.
  }
}

const KEY_SOURCES = ['secret', 'publicKey', 'jwks', 'jwksUri', 'verify'] as const;
const DEFAULT_DELEGATED_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

/**
 * The one `SockAuth` (from `@sockauth/socket.io`) of the application, built from the module options: handshake
 * authentication, the gateways' permission decorators per message, expiry, in-band `auth:refresh` and revocation
 * for every gateway attached through {@link SockAuthIoAdapter}. Inject it to revoke sessions or read a socket's context.
 *
 * @example
 * ```ts
 * @Controller('admin')
 * export class AdminController {
 *   constructor(@Inject(SockAuthService) private readonly sockAuth: SockAuthService) {}
 *   @Post('revoke')
 *   revoke(@Body() body: { subject: string }) {
 *     return this.sockAuth.revoke({ subject: body.subject }); // → { disconnected: N }
 *   }
 * }
 * ```
 */
@Injectable()
export class SockAuthService implements OnModuleInit, OnModuleDestroy {
  /** The underlying `@sockauth/socket.io` controller. */
  readonly sockAuth: SockAuth;

  readonly #mapClaims: ClaimsMapper | undefined;
  readonly #delegated: DelegatedVerify | undefined;
  /** Whether a Socket.IO server was attached: then its sockets count in revocations and re-evaluations. */
  #ioAttached = false;
  /** Why the gateways cannot be served by Socket.IO (thrown by {@link attach}). */
  #namespaceError: TypeError | undefined;

  constructor(
    @Inject(SOCKAUTH_MODULE_OPTIONS) options: SockAuthModuleOptions,
    @Inject(ModuleRef) moduleRef: ModuleRef,
    @Inject(DiscoveryService) discovery: DiscoveryService,
  ) {
    if (typeof options !== 'object' || options === null) throw new TypeError('sockauth: module options are required');
    // forRoot's options and those forRootAsync's factory returned: a misspelt option must not leave a default on.
    assertKnownKeys('SockAuthModule options', options, SOCKAUTH_MODULE_OPTION_KEYS);
    if (options.passport !== undefined) {
      assertPlainObject('SockAuthModule options.passport', options.passport as unknown);
      assertKnownKeys('SockAuthModule options.passport', options.passport, SOCKAUTH_PASSPORT_OPTION_KEYS);
    }
    const gateways = Object.freeze(exploreGateways(discovery));
    // A malformed permission decorator fails the start, naming its handler, instead of its first message.
    assertHandlerRequirements(new Reflector(), gateways);

    const modes = [hasKeySource(options.verifier), options.useJwtService === true, options.passport !== undefined];
    if (modes.filter(Boolean).length !== 1) {
      throw new TypeError(
        'sockauth: give exactly one way to verify tokens: "verifier" with a key source, "useJwtService: true" or "passport"',
      );
    }

    let verifier: Verifier | VerifierOptions;
    let mapClaims = options.mapClaims;
    let tokenSources = options.tokenSources;
    if (options.passport !== undefined) {
      if (typeof options.passport.strategy !== 'function') throw new TypeError('sockauth: "passport.strategy" must be a class');
      const passport = passportVerify(moduleRef, options.passport.strategy, { allowQueryToken: Boolean(options.allowQueryToken) });
      this.#delegated = passport;
      verifier = createVerifier(delegatedVerifier(options, passport.verify));
      mapClaims = passport.mapClaims(options.mapClaims);
      if (options.passport.extractor !== false) tokenSources = [...(tokenSources ?? defaultSources(options)), passport.extractor];
    } else if (options.useJwtService === true) {
      this.#delegated = jwtServiceVerify(moduleRef);
      verifier = createVerifier(delegatedVerifier(options, this.#delegated.verify));
    } else {
      verifier = options.verifier as Verifier | VerifierOptions;
    }
    this.#mapClaims = mapClaims;

    let publicRule: NamespaceRule | undefined;
    try {
      publicRule = publicNamespaceRule(gateways);
    } catch (error) {
      // Public and protected gateways sharing a Socket.IO namespace: refused when a Socket.IO server is attached
      // (at start-up), not here: on the ws platform, where every gateway is at namespace "/", paths tell them apart.
      // Meanwhile no namespace is public (fail closed).
      if (!(error instanceof TypeError)) throw error;
      this.#namespaceError = error;
    }
    // SockAuth validates skipNamespaces (a TypeError at start-up): anything but an array is passed on for it to refuse.
    const userSkip = options.skipNamespaces ?? [];
    const skip = publicRule !== undefined && Array.isArray(userSkip) ? [...userSkip, publicRule] : userSkip;
    const {
      useJwtService: _useJwtService,
      passport: _passport,
      global: _global,
      allowUnauthenticatedGateways: _allow,
      gatewayExceptionFilter: _filter,
      // The ws platform's: Socket.IO has its own ping/pong.
      heartbeat: _heartbeat,
      // The live policy runs once per message after the decorators' requirement, with Nest's view of the message
      // (in the decorator enforcement, or in WsAuthGuard for the handlers it covers); SockAuth would run it a
      // second time, with the raw argument list.
      authorize: _authorize,
      ...socketOptions
    } = options;
    const enforcement = new DecoratorEnforcement({
      gateways,
      authorize: options.authorize,
      skipNamespaces: skip,
      contextOf: (socket) => this.contextOf(socket),
      report: (socket, error, event) => reportFailure(this, error, socket, event),
    });
    const unlistedEvents = options.unlistedEvents ?? 'authenticated';
    const events =
      unlistedEvents === 'deny' ? { ...handledEvents(gateways), ...(options.events ?? {}) } : options.events;
    const resolved: SockAuthOptions = {
      ...socketOptions,
      verifier,
      unlistedEvents,
      eventGate: enforcement.gate,
      ...(events !== undefined && { events }),
      ...(mapClaims !== undefined && { mapClaims }),
      ...(tokenSources !== undefined && { tokenSources }),
      ...(skip.length > 0 && { skipNamespaces: skip }),
    };
    this.sockAuth = createSockAuth(resolved);
    internals.set(this, { options, gateways, enforcement, logger: new Logger('SockAuth'), resolved, platforms: [] });
  }

  /** Fails the start-up, not the first handshake, when the JwtService or the passport strategy is missing. */
  async onModuleInit(): Promise<void> {
    await this.#delegated?.resolve();
  }

  /** Stops timers and the revocation subscription. The sockets themselves are closed by Nest's adapter. */
  onModuleDestroy(): void {
    this.sockAuth.close();
    for (const platform of internalsOf(this).platforms) platform.close();
  }

  /**
   * Authenticates every namespace of `server` (except public ones), existing and future, and enforces the
   * gateways' permission decorators on it. {@link SockAuthIoAdapter} calls it for you; call it yourself only for a
   * server you create by hand.
   *
   * @example
   * ```ts
   * const io = new Server(httpServer);
   * app.get(SockAuthService).attach(io);
   * ```
   */
  attach<T extends Server>(server: T): T {
    if (this.#namespaceError !== undefined) throw this.#namespaceError;
    this.sockAuth.attach(server);
    internalsOf(this).enforcement.attach(server);
    servicesByServer.set(server, this);
    this.#ioAttached = true;
    return server;
  }

  /**
   * The context in force for `socket` now (it follows re-auths), or `undefined` when none is: not authenticated,
   * expired, revoked, or in a public namespace. `socket` is the client Nest hands the gateway: a Socket.IO `Socket`,
   * or a `ws` `WebSocket` with {@link SockAuthWsAdapter}.
   *
   * @example
   * ```ts
   * handleConnection(socket: Socket) {
   *   this.logger.log(`connected: ${this.sockAuth.contextOf(socket)?.subject}`);
   * }
   * ```
   */
  contextOf(socket: Socket | object): AuthContext | undefined {
    if (servicesByClient.get(socket) === this) {
      for (const platform of internalsOf(this).platforms) {
        const context = platform.contextOf(socket);
        if (context !== undefined) return context;
      }
      return undefined;
    }
    return this.sockAuth.contextOf(socket as Socket);
  }

  /**
   * Joins `client` to `room` if the room policy (module option `rooms`) and `authorize` (action `auth:room-join`)
   * allow it for the context in force, on either platform: a Socket.IO `Socket` through `@sockauth/socket.io`'s
   * `join`, a `ws` `WebSocket` (with {@link SockAuthWsAdapter}) through `@sockauth/ws`'s. Rejects with the
   * `AuthError` otherwise (`AUTH_FORBIDDEN`; `AUTH_MISSING` for a client with no context, e.g. on a public gateway),
   * reported like every refusal; thrown from a handler, it is acked `{ error }`. Once joined, every later change of
   * the client's context re-checks the room (`auth:room-left` when it may no longer be in it).
   *
   * @example
   * ```ts
   * @SubscribeMessage('chat:join')
   * async join(@ConnectedSocket() client: Socket | WebSocket, @MessageBody() { room }: { room: string }) {
   *   await this.sockAuth.join(client, room);
   *   return { ok: true };
   * }
   * ```
   */
  join(client: Socket | object, room: string): Promise<void> {
    if (servicesByClient.get(client) === this) {
      // A client of another platform: the one that admitted it holds its session (none has a context: refused).
      const platform = internalsOf(this).platforms.find((candidate) => candidate.contextOf(client) !== undefined);
      return platform === undefined ? Promise.reject(new AuthMissingError()) : platform.join(client, room);
    }
    return this.sockAuth.join(client as Socket, room);
  }

  /**
   * Revokes a subject, a session or a token: matching live sockets get `auth:error` `AUTH_REVOKED` and are
   * disconnected, and matching handshakes and re-auths are refused from now on.
   *
   * @example
   * ```ts
   * const { disconnected } = await sockAuthService.revoke({ sessionId: 's-42' });
   * ```
   */
  async revoke(target: RevocationTarget): Promise<{ disconnected: number }> {
    const platforms = this.#inUse();
    if (platforms.length === 1) return platforms[0]!.revoke(target);
    // Each records the revocation (the same one, harmlessly twice) and counts the cuts among its own connections.
    const results = await Promise.all(platforms.map((platform) => platform.revoke(target)));
    return { disconnected: results.reduce((sum, result) => sum + result.disconnected, 0) };
  }

  /**
   * Re-evaluates the live connections of a subject, session or token (or of a list of them, in one call) after a
   * policy change your `mapClaims` reads
   * (e.g. a per-subject restriction): the permissions in force are mapped again from the claims in force, rooms
   * no longer allowed are left (`auth:room-left`), a connection the mapper now refuses is cut. Resolves with the
   * number of connections re-evaluated, on every platform (and every node, with a store that supports it).
   *
   * @example
   * ```ts
   * restrictions.set('alice', ['chat:write']);
   * const { affected } = await sockAuthService.reevaluate({ subject: 'alice' });
   * await sockAuthService.reevaluate(tenantSubjects.map((subject) => ({ subject })));
   * ```
   */
  async reevaluate(target: ReevaluationTargets): Promise<{ affected: number }> {
    const platforms = this.#inUse();
    const store = this.sockAuth.revocationStore as { requestReevaluation?: unknown };
    // A store that re-evaluates across nodes asks every session listening to it, this node's platforms included.
    if (platforms.length === 1 || typeof store.requestReevaluation === 'function') return platforms[0]!.reevaluate(target);
    const results = await Promise.all(platforms.map((platform) => platform.reevaluate(target)));
    return { affected: results.reduce((sum, result) => sum + result.affected, 0) };
  }

  /**
   * The platforms whose connections a revocation or re-evaluation concerns: the registered ones, and Socket.IO's
   * when a server is attached to it or nothing else is registered (a revocation is recorded even before any
   * gateway exists).
   */
  #inUse(): SockAuthPlatform[] {
    const others = internalsOf(this).platforms;
    return this.#ioAttached || others.length === 0 ? [this.sockAuth, ...others] : [...others];
  }

  /**
   * Verifies a token the way handshakes are verified (signature and claims, claim mapping, revocation), e.g. for
   * an HTTP endpoint that must agree with the sockets. Rejects with an `AuthError`.
   *
   * @example
   * ```ts
   * const ctx = await sockAuthService.authenticate(bearerToken);
   * if (!ctx.permissions.has('chat:admin')) throw new ForbiddenException();
   * ```
   */
  authenticate(token: unknown): Promise<AuthContext> {
    return authenticateToken(token, {
      verifier: this.sockAuth.verifier,
      revocationStore: this.sockAuth.revocationStore,
      ...(this.#mapClaims !== undefined && { mapClaims: this.#mapClaims }),
    });
  }
}

/** The service that authenticated a client: through its Socket.IO server, or as registered by another platform. */
export function serviceOfSocket(socket: Socket | object | undefined): SockAuthService | undefined {
  if (socket === undefined || socket === null) return undefined;
  const byClient = servicesByClient.get(socket);
  if (byClient !== undefined) return byClient;
  const server = (socket as Partial<Socket>).nsp?.server;
  return server === undefined ? undefined : servicesByServer.get(server);
}

/**
 * With `unlistedEvents: 'deny'`, the events some gateway handles pass the event map when authenticated (`null`);
 * their handlers' permissions are checked next (decorator enforcement or WsAuthGuard). Events no gateway handles
 * are refused with `AUTH_FORBIDDEN`.
 */
function handledEvents(gateways: readonly GatewayInfo[]): Record<string, null> {
  const events: Record<string, null> = {};
  for (const gateway of gateways) for (const pattern of gateway.patterns) events[pattern] = null;
  return events;
}

function hasKeySource(verifier: SockAuthModuleOptions['verifier']): boolean {
  if (verifier === undefined || verifier === null) return false;
  if (typeof (verifier as Verifier).verify === 'function' && Array.isArray((verifier as Verifier).algorithms)) return true;
  return KEY_SOURCES.some((key) => (verifier as Record<string, unknown>)[key] !== undefined);
}

function delegatedVerifier(options: SockAuthModuleOptions, verify: VerifierOptions['verify']): VerifierOptions {
  const policy = (options.verifier ?? {}) as VerifierOptions;
  const allowed = Object.keys(DELEGATED_VERIFIER_POLICY_KEYS);
  const extra = Object.keys(policy).filter((key) => !allowed.includes(key) && policy[key as keyof VerifierOptions] !== undefined);
  if (extra.length > 0) {
    // issuer/audience/typ/maxTokenAgeSec would be silently ignored with a delegated verifier: say so instead.
    throw new TypeError(
      `sockauth: with "useJwtService" or "passport", configure ${extra.join(', ')} there; "verifier" takes only ${allowed.join(', ')}`,
    );
  }
  assertKnownKeys('SockAuthModule options.verifier', policy, DELEGATED_VERIFIER_POLICY_KEYS);
  return { ...policy, algorithms: policy.algorithms ?? DEFAULT_DELEGATED_ALGORITHMS, verify };
}

function defaultSources(options: SockAuthModuleOptions): TokenSource[] {
  const sources: TokenSource[] = ['auth', 'header'];
  if (options.cookie !== undefined) sources.push('cookie');
  if (options.allowQueryToken) sources.push('query');
  return sources;
}
