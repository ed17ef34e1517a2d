import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, ModuleRef, Reflector } from '@nestjs/core';
import {
  assertKnownKeys,
  assertPlainObject,
  authenticateToken,
  createVerifier,
  type AuthContext,
  type AuthError,
  type ClaimsMapper,
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
import { SOCKAUTH_MODULE_OPTIONS } from './sockauth.constants.js';
import {
  DELEGATED_VERIFIER_POLICY_KEYS,
  SOCKAUTH_MODULE_OPTION_KEYS,
  SOCKAUTH_PASSPORT_OPTION_KEYS,
  type SockAuthModuleOptions,
} from './sockauth-options.interface.js';

/** Which service authenticates the sockets of a Socket.IO server (read by the guard and the decorators). */
const servicesByServer = new WeakMap<object, SockAuthService>();

/** What the module, the guard and the decorators need from a service; not part of its public API. */
export interface ServiceInternals {
  /** The module options, as given. */
  readonly options: SockAuthModuleOptions;
  /** The gateways of the application, as found when the module was built. */
  readonly gateways: readonly GatewayInfo[];
  /** The enforcement of the permission decorators in sockauth's per-socket hook. */
  readonly enforcement: DecoratorEnforcement;
  readonly logger: Logger;
}
const internals = new WeakMap<SockAuthService, ServiceInternals>();

/** The internals of `service`. */
export function internalsOf(service: SockAuthService): ServiceInternals {
  return internals.get(service)!;
}

/**
 * Reports a refusal decided outside `SockAuth` (by the guard or the decorator enforcement) to the `onAuthFailure` hook and the `logger`, the
 * same way `SockAuth` reports its own. Never throws.
 */
export function reportFailure(service: SockAuthService, error: AuthError, socket: Socket, event: string): void {
  try {
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

    const publicRule = publicNamespaceRule(gateways);
    // SockAuth validates skipNamespaces (a TypeError at start-up): anything but an array is passed on for it to refuse.
    const userSkip = options.skipNamespaces ?? [];
    const skip = publicRule !== undefined && Array.isArray(userSkip) ? [...userSkip, publicRule] : userSkip;
    const {
      useJwtService: _useJwtService,
      passport: _passport,
      global: _global,
      allowUnauthenticatedGateways: _allow,
      gatewayExceptionFilter: _filter,
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
    internals.set(this, { options, gateways, enforcement, logger: new Logger('SockAuth') });
  }

  /** Fails the start-up, not the first handshake, when the JwtService or the passport strategy is missing. */
  async onModuleInit(): Promise<void> {
    await this.#delegated?.resolve();
  }

  /** Stops timers and the revocation subscription. The sockets themselves are closed by Nest's adapter. */
  onModuleDestroy(): void {
    this.sockAuth.close();
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
    this.sockAuth.attach(server);
    internalsOf(this).enforcement.attach(server);
    servicesByServer.set(server, this);
    return server;
  }

  /**
   * The context in force for `socket` now (it follows re-auths), or `undefined` when none is: not authenticated,
   * expired, revoked, or in a public namespace.
   *
   * @example
   * ```ts
   * handleConnection(socket: Socket) {
   *   this.logger.log(`connected: ${this.sockAuth.contextOf(socket)?.subject}`);
   * }
   * ```
   */
  contextOf(socket: Socket): AuthContext | undefined {
    return this.sockAuth.contextOf(socket);
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
  revoke(target: RevocationTarget): Promise<{ disconnected: number }> {
    return this.sockAuth.revoke(target);
  }

  /**
   * Joins `room` through the room policy (module option `rooms`) and the live `authorize` hook, with the socket's
   * context in force; resolves once the socket is in the room. Rejects with the `AuthError` (`AUTH_FORBIDDEN`):
   * thrown from a gateway handler, the module's exception filter acks it `{ error: { code, action, message } }`
   * and the socket stays. After every change of the socket's context (re-auth, {@link reevaluate}) the rooms it
   * may no longer be in are left and the client is sent `auth:room-left`; sockauth never rejoins on its own.
   *
   * @example
   * ```ts
   * @SubscribeMessage('chat:join')
   * async join(@ConnectedSocket() socket: Socket, @MessageBody('room') room: string) {
   *   await this.sockAuth.join(socket, room); // AUTH_FORBIDDEN → denied ack
   *   return { ok: true };
   * }
   * ```
   */
  join(socket: Socket, room: string): Promise<void> {
    return this.sockAuth.join(socket, room);
  }

  /**
   * Re-evaluates the live sockets of a subject, session or token after a policy change (on every node, with a
   * store that supports it, such as `@sockauth/redis`): the claims mapping runs again on the claims in force, rooms
   * the new context may not be in are left (`auth:room-left`), and a socket the mapping now refuses is cut.
   * Resolves with how many sockets were re-evaluated.
   *
   * @example
   * ```ts
   * await restrictions.set('alice', ['chat:read']); // read by mapClaims
   * const { affected } = await sockAuthService.reevaluate({ subject: 'alice' });
   * ```
   */
  reevaluate(target: RevocationTarget): Promise<{ affected: number }> {
    return this.sockAuth.reevaluate(target);
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

/** The service attached to the server a socket belongs to, if any. */
export function serviceOfSocket(socket: Socket | undefined): SockAuthService | undefined {
  const server = socket?.nsp?.server;
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
