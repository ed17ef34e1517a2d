import type { ModuleMetadata, Type } from '@nestjs/common';
import type { JWTPayload, KnownKeys, Verifier, VerifierOptions } from '@sockauth/core';
import { SOCK_AUTH_OPTION_KEYS, type SockAuthOptions } from '@sockauth/socket.io';
import type { WsHeartbeatOptions } from '@sockauth/ws';

/**
 * What sockauth still checks itself when another library owns the signature check (`useJwtService`,
 * `passport`): the size limit before it, `exp` and the required claims after it. Issuer, audience and
 * algorithms belong to the `JwtModule` or strategy configuration.
 *
 * @example
 * ```ts
 * SockAuthModule.forRoot({ useJwtService: true, verifier: { clockToleranceSec: 10, requiredClaims: ['sub', 'sid'] } });
 * ```
 */
export interface DelegatedVerifierPolicy {
  /**
   * What the delegated verifier accepts. Informational (the JwtService or strategy enforces its own list, and
   * jsonwebtoken never accepts HS* with a public key); default HS256/384/512.
   */
  readonly algorithms?: VerifierOptions['algorithms'];
  /** Clock skew for the `exp` re-check and expiry scheduling (default 5 s, max 300). */
  readonly clockToleranceSec?: number;
  /** Tokens larger than this are refused before any parsing (default 8192). */
  readonly maxTokenBytes?: number;
  /** Claims that must be present (default `['sub']`; `exp` is always required). */
  readonly requiredClaims?: readonly string[];
  /** Clock in ms since the epoch (tests). */
  readonly now?: () => number;
}

/**
 * Reuse of an existing `@nestjs/passport` JWT strategy.
 *
 * @example
 * ```ts
 * SockAuthModule.forRoot({ passport: { strategy: JwtStrategy } }); // JwtStrategy extends PassportStrategy(Strategy, 'jwt')
 * ```
 */
export interface SockAuthPassportOptions {
  /**
   * The strategy class, e.g. `class JwtStrategy extends PassportStrategy(Strategy, 'jwt')`. It must be a provider
   * somewhere in the application; it is resolved with `ModuleRef.get(strategy, { strict: false })`.
   */
  readonly strategy: Type<unknown>;
  /**
   * Also run the strategy's own `jwtFromRequest` extractor on the handshake (default `true`). The extractor sees
   * the handshake headers without `Cookie` (cookie tokens need `cookie`, which checks the `Origin`) and the query
   * string only when `allowQueryToken` is on.
   */
  readonly extractor?: boolean;
}

/**
 * Options of {@link SockAuthModule}: those of `@sockauth/socket.io` plus Nest specifics. Give exactly one way to
 * verify tokens: `verifier` with a key source (jose: `secret`, `publicKey`, `jwks`, `jwksUri`), `useJwtService`,
 * or `passport`.
 *
 * @example
 * ```ts
 * SockAuthModule.forRoot({
 *   verifier: { algorithms: ['HS256'], secret: process.env.JWT_SECRET!, issuer: 'me', audience: 'chat' },
 *   global: true,
 * });
 * ```
 */
export interface SockAuthModuleOptions<TClaims extends JWTPayload = JWTPayload>
  extends Omit<SockAuthOptions<TClaims>, 'verifier' | 'unlistedEvents' | 'authorize' | 'eventGate'> {
  /**
   * A jose verifier (or its options). With `useJwtService` or `passport`, only the policy part
   * ({@link DelegatedVerifierPolicy}) may be given.
   */
  readonly verifier?: Verifier | VerifierOptions | DelegatedVerifierPolicy;
  /**
   * Verify with `@nestjs/jwt`'s `JwtService.verifyAsync`, i.e. with the application's `JwtModule` configuration
   * (secret or keys, `verifyOptions`). The `JwtService` is resolved from anywhere in the application.
   */
  readonly useJwtService?: boolean;
  /** Verify with an existing passport-jwt strategy, its `validate()` included; the result becomes `ctx.user`. */
  readonly passport?: SockAuthPassportOptions;
  /**
   * Events no `events` entry covers. Default `'authenticated'`: in Nest, per-handler permissions come from the
   * decorators, so the event map only insists on a valid context; an event no gateway handles then gets no answer
   * at all, as in plain Nest. With `'deny'`, every `@SubscribeMessage()` pattern of the application's gateways is
   * listed automatically (as authenticated-only, the decorators deciding the rest), and any other event is acked
   * with `AUTH_FORBIDDEN`.
   */
  readonly unlistedEvents?: SockAuthOptions['unlistedEvents'];
  /**
   * Live policy `(ctx, pattern, args) => boolean | Promise<boolean>`, run once for every message to a non-public
   * gateway handler, after the decorators' requirement, with the context in force and the message's arguments
   * without the ack (`AuthorizeArgs`, the same shape as in `@sockauth/socket.io`: the `@MessageBody()` of a
   * one-argument message is `args[0]`); the context is checked again once it has decided. Messages of one socket
   * are decided in arrival order. For handlers {@link WsAuthGuard} runs for, the guard calls it instead.
   *
   * @example
   * ```ts
   * SockAuthModule.forRoot({ useJwtService: true, authorize: (ctx, pattern, args) => (args[0] as { room?: string })?.room !== 'staff' });
   * ```
   */
  readonly authorize?: SockAuthOptions<TClaims>['authorize'];
  /** Register the module globally (default `false`). */
  readonly global?: boolean;
  /**
   * Do not refuse to start when gateways exist but the application's WebSocket adapter is not a
   * {@link SockAuthIoAdapter} (default `false`: such gateways would accept unauthenticated sockets).
   */
  readonly allowUnauthenticatedGateways?: boolean;
  /**
   * Add {@link WsAuthExceptionFilter} to every gateway, as its lowest-priority filter, so that sockauth errors
   * thrown in Nest's pipeline ({@link WsAuthGuard}'s denials, or your handlers') become acks without any
   * `@UseFilters` (default `true`). Nest never applies global filters (`APP_FILTER`, `useGlobalFilters`) to
   * gateways, so this is done with gateway metadata. Denials of the module's own decorator enforcement happen
   * before Nest's pipeline and are always acks; apply `WsAuthGuard` to handlers whose denials your filters must see.
   */
  readonly gatewayExceptionFilter?: boolean;
  /**
   * `@nestjs/platform-ws` only (`SockAuthWsAdapter` of `@sockauth/nestjs/ws`): ping every `ws` client each `intervalMs` (default
   * 30 000, from 100 to 600 000) and terminate one that has not answered the previous ping, releasing its session
   * and leaving its rooms, so a half-open connection (a client gone without a close) is gone within two intervals.
   * `true` or absent: on, every 30 s; `false`: off. Checked when the ws platform starts (a `TypeError` naming
   * `SockAuthModule options.heartbeat`). Socket.IO connections keep Socket.IO's own `pingInterval`/`pingTimeout`.
   *
   * @example
   * ```ts
   * SockAuthModule.forRoot({ useJwtService: true, heartbeat: { intervalMs: 15_000 } });
   * ```
   */
  readonly heartbeat?: WsHeartbeatOptions | boolean;
}

/**
 * What `useClass` / `useExisting` of {@link SockAuthModule.forRootAsync} provide: a provider that builds the
 * module options (as `@nestjs/jwt`'s `JwtOptionsFactory`).
 *
 * @example
 * ```ts
 * @Injectable()
 * class SockAuthConfig implements SockAuthOptionsFactory {
 *   constructor(@Inject(ConfigService) private readonly config: ConfigService) {}
 *   createSockAuthOptions(): SockAuthModuleOptions {
 *     return { verifier: { algorithms: ['HS256'], secret: this.config.getOrThrow('JWT_SECRET') } };
 *   }
 * }
 * SockAuthModule.forRootAsync({ imports: [ConfigModule], useClass: SockAuthConfig });
 * ```
 */
export interface SockAuthOptionsFactory<TClaims extends JWTPayload = JWTPayload> {
  /** Builds the options; may be async. */
  createSockAuthOptions(): SockAuthModuleOptions<TClaims> | Promise<SockAuthModuleOptions<TClaims>>;
}

/**
 * Options of {@link SockAuthModule.forRootAsync}: exactly one of `useFactory`, `useClass`, `useExisting` (Nest's
 * `ConfigurableModuleBuilder` forms), plus `imports`, `inject` (for `useFactory`) and `global`.
 *
 * @example
 * ```ts
 * SockAuthModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     verifier: { algorithms: ['HS256'], secret: config.getOrThrow('JWT_SECRET') },
 *   }),
 * });
 * ```
 */
export interface SockAuthModuleAsyncOptions<TClaims extends JWTPayload = JWTPayload> extends Pick<ModuleMetadata, 'imports'> {
  /** Builds the options; may be async. Its parameters are the providers named in `inject`. */
  readonly useFactory?: (...args: any[]) => SockAuthModuleOptions<TClaims> | Promise<SockAuthModuleOptions<TClaims>>;
  /** Providers passed to `useFactory`. */
  readonly inject?: readonly (string | symbol | Type<unknown> | Function)[];
  /** A class the module instantiates (with its own dependencies) and asks `createSockAuthOptions()`. */
  readonly useClass?: Type<SockAuthOptionsFactory<TClaims>>;
  /** An existing provider (of `imports`, or global) asked `createSockAuthOptions()`. */
  readonly useExisting?: string | symbol | Type<SockAuthOptionsFactory<TClaims>> | Function;
  /** Register the module globally (default `false`). `global` in the built options is ignored. */
  readonly global?: boolean;
}

// The module takes sockAuth's options (its own eventGate excepted) plus its own.
const { eventGate: _eventGate, ...SHARED_OPTION_KEYS } = SOCK_AUTH_OPTION_KEYS;

/** Every option of {@link SockAuthModuleOptions}: the typecheck fails if the two drift apart. */
export const SOCKAUTH_MODULE_OPTION_KEYS = {
  ...SHARED_OPTION_KEYS,
  useJwtService: true,
  passport: true,
  global: true,
  allowUnauthenticatedGateways: true,
  gatewayExceptionFilter: true,
  heartbeat: true,
} as const satisfies KnownKeys<SockAuthModuleOptions>;

/** Every option of {@link SockAuthPassportOptions}. */
export const SOCKAUTH_PASSPORT_OPTION_KEYS = { strategy: true, extractor: true } as const satisfies KnownKeys<SockAuthPassportOptions>;

/** Every option of {@link SockAuthModuleAsyncOptions}. */
export const SOCKAUTH_MODULE_ASYNC_OPTION_KEYS = {
  imports: true,
  useFactory: true,
  inject: true,
  useClass: true,
  useExisting: true,
  global: true,
} as const satisfies KnownKeys<SockAuthModuleAsyncOptions>;

/** Every option of {@link DelegatedVerifierPolicy}. */
export const DELEGATED_VERIFIER_POLICY_KEYS = {
  algorithms: true,
  clockToleranceSec: true,
  maxTokenBytes: true,
  requiredClaims: true,
  now: true,
} as const satisfies KnownKeys<DelegatedVerifierPolicy>;
