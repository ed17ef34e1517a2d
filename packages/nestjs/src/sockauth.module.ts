import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type Provider,
} from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, GUARDS_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { assertKnownKeys } from '@sockauth/core';
import { SOCKAUTH_MODULE_OPTIONS } from './sockauth.constants.js';
import { WS_ADAPTER_BRAND, hasBrand } from './adapter-brand.js';
import { SockAuthIoAdapter, createModuleAdapter } from './sockauth-io.adapter.js';
import {
  SOCKAUTH_MODULE_ASYNC_OPTION_KEYS,
  type SockAuthModuleAsyncOptions,
  type SockAuthModuleOptions,
} from './sockauth-options.interface.js';
import { SockAuthConfigurableModule } from './sockauth.module-definition.js';
import type { JWTPayload } from '@sockauth/core';
import { SockAuthService, internalsOf } from './sockauth.service.js';
import { WsAuthExceptionFilter } from './ws-auth-exception.filter.js';
import { WsAuthGuard } from './ws-auth.guard.js';

/** The filter instance added to gateways; stateless, so one is shared. */
const gatewayFilter = new WsAuthExceptionFilter();

/**
 * JWT authentication for WebSocket gateways over the whole life of each socket: handshake authentication
 * (before `handleConnection`), the permission decorators and the `authorize` hook per message, expiry, in-band
 * `auth:refresh` and revocation, through one {@link SockAuthService}.
 *
 * The decorators (`@RequirePermissions()`, `@RequireAnyPermission()`, `@Public()`) are enforced by the module
 * itself, in sockauth's per-socket hook, before Nest's pipeline runs: no guard is needed, and none of Nest's guard
 * cost is paid. The handlers {@link WsAuthGuard} runs for (if you apply it) are left to the guard.
 *
 * Secure by default: importing the module installs a {@link SockAuthIoAdapter} when the application has no
 * WebSocket adapter yet, and the application refuses to start if gateways exist but the adapter in use is neither a
 * `SockAuthIoAdapter` nor a `SockAuthWsAdapter` (`@sockauth/nestjs/ws`, for `@nestjs/platform-ws`), e.g. replaced
 * by a plain `IoAdapter` or `WsAdapter`, unless `allowUnauthenticatedGateways: true`.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     SockAuthModule.forRoot({
 *       verifier: { algorithms: ['HS256'], secret: process.env.JWT_SECRET!, issuer: 'me', audience: 'chat' },
 *     }),
 *   ],
 *   providers: [ChatGateway],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class SockAuthModule implements OnApplicationBootstrap {
  readonly #service: SockAuthService;
  readonly #config: ApplicationConfig;

  constructor(
    @Inject(SockAuthService) service: SockAuthService,
    @Inject(ApplicationConfig) config: ApplicationConfig,
    @Inject(HttpAdapterHost) httpAdapterHost: HttpAdapterHost,
  ) {
    this.#service = service;
    this.#config = config;
    // Now, not in a lifecycle hook: Nest picks the adapter when it connects gateways in app.init(), before
    // onModuleInit. The HTTP server does not exist yet; the adapter resolves it when it creates a server.
    if (!config.getIoAdapter()) config.setIoAdapter(createModuleAdapter(service, httpAdapterHost));
    const { options, gateways, enforcement } = internalsOf(service);
    enforcement.useGuardCoverage((handler, gateway) => guardRunsFor(config, handler, gateway));
    if (options.gatewayExceptionFilter !== false) {
      for (const gateway of gateways) addGatewayFilter(gateway.metatype);
    }
  }

  /**
   * Registers the module with static options. `TClaims` (inferred from your `mapClaims` parameter) types the
   * claims `mapClaims` and `authorize` see.
   *
   * @example
   * ```ts
   * SockAuthModule.forRoot({ useJwtService: true, global: true })
   * ```
   */
  static forRoot<TClaims extends JWTPayload = JWTPayload>(options: SockAuthModuleOptions<TClaims>): DynamicModule {
    return buildModule(options.global === true, [{ provide: SOCKAUTH_MODULE_OPTIONS, useValue: options }]);
  }

  /**
   * Registers the module with options built at start-up, the three ways of Nest's `ConfigurableModuleBuilder`
   * (as `JwtModule.registerAsync`): `useFactory` (with `inject`), `useClass` or `useExisting` (a
   * {@link SockAuthOptionsFactory}). Exactly one of the three, or a `TypeError` naming them; unknown keys are a
   * `TypeError` too. The built options are checked like `forRoot`'s when the module starts.
   *
   * @example
   * ```ts
   * SockAuthModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     verifier: { algorithms: ['HS256'], secret: config.getOrThrow<string>('JWT_SECRET') },
   *   }),
   * })
   * // or: SockAuthModule.forRootAsync({ imports: [ConfigModule], useClass: SockAuthConfig })
   * ```
   */
  static forRootAsync<TClaims extends JWTPayload = JWTPayload>(options: SockAuthModuleAsyncOptions<TClaims>): DynamicModule {
    assertAsyncOptions(options);
    const definition = SockAuthConfigurableModule.forRootAsync({
      ...options,
      inject: options.inject === undefined ? undefined : [...options.inject],
    } as Parameters<typeof SockAuthConfigurableModule.forRootAsync>[0]);
    return buildModule(definition.global === true, definition.providers ?? [], definition.imports ?? []);
  }

  /**
   * Refuses to serve gateways from a server sockauth is not attached to: their sockets would not be authenticated,
   * nor their permission decorators enforced.
   */
  onApplicationBootstrap(): void {
    const { options, gateways, logger } = internalsOf(this.#service);
    if (gateways.length === 0) return;
    const adapter = this.#config.getIoAdapter();
    if (!SockAuthIoAdapter.isSockAuthIoAdapter(adapter) && !hasBrand(adapter, WS_ADAPTER_BRAND)) {
      const message =
        `the WebSocket adapter (${adapter?.constructor?.name ?? 'none'}) is not a SockAuthIoAdapter (nor a SockAuthWsAdapter), so gateways ` +
        `${gateways.map((g) => g.metatype.name).join(', ')} accept unauthenticated sockets and their permission ` +
        'decorators are not enforced (unless you call SockAuthService.attach() on their server)';
      if (options.allowUnauthenticatedGateways !== true) {
        throw new Error(
          `sockauth: ${message}. Use app.useWebSocketAdapter(new SockAuthIoAdapter(app)) (or new SockAuthWsAdapter(app) ` +
            'from @sockauth/nestjs/ws), or extend one of them ' +
            '(or set allowUnauthenticatedGateways: true to accept this)',
        );
      }
      logger.warn(message);
    }
  }
}

function buildModule(global: boolean, optionProviders: Provider[], imports: DynamicModule['imports'] = []): DynamicModule {
  return {
    module: SockAuthModule,
    global,
    imports: [...imports, DiscoveryModule],
    providers: [...optionProviders, SockAuthService, WsAuthGuard],
    exports: [SockAuthService, WsAuthGuard, SOCKAUTH_MODULE_OPTIONS],
  };
}

const ASYNC_FORMS = ['useFactory', 'useClass', 'useExisting'] as const;

/** Exactly one of the three forms, each of the right type, and no unknown key: a TypeError naming them otherwise. */
function assertAsyncOptions(options: SockAuthModuleAsyncOptions<any>): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('sockauth: SockAuthModule.forRootAsync needs an options object');
  }
  assertKnownKeys('SockAuthModule.forRootAsync options', options, SOCKAUTH_MODULE_ASYNC_OPTION_KEYS);
  const given = ASYNC_FORMS.filter((form) => options[form] !== undefined);
  if (given.length !== 1) {
    throw new TypeError(
      `sockauth: SockAuthModule.forRootAsync needs exactly one of "useFactory", "useClass", "useExisting" (${
        given.length === 0 ? 'none was given' : `got ${given.map((form) => `"${form}"`).join(' and ')}`
      })`,
    );
  }
  if (options.useFactory !== undefined && typeof options.useFactory !== 'function') {
    throw new TypeError('sockauth: SockAuthModule.forRootAsync "useFactory" must be a function');
  }
  if (options.useClass !== undefined && typeof options.useClass?.prototype?.createSockAuthOptions !== 'function') {
    throw new TypeError('sockauth: SockAuthModule.forRootAsync "useClass" must be a class with a createSockAuthOptions() method');
  }
  if (options.inject !== undefined && (!Array.isArray(options.inject) || options.useFactory === undefined)) {
    throw new TypeError('sockauth: SockAuthModule.forRootAsync "inject" must be an array, and goes with "useFactory"');
  }
}

/** Adds the filter as the gateway's first class-level filter: Nest tries filters last-declared first. */
function addGatewayFilter(metatype: Function): void {
  const existing: unknown[] = Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, metatype) ?? [];
  if (existing.some((filter) => filter === gatewayFilter)) return;
  Reflect.defineMetadata(EXCEPTION_FILTERS_METADATA, [gatewayFilter, ...existing], metatype);
}

/**
 * Whether Nest runs WsAuthGuard (or a subclass) for `handler` of `gateway`: globally (`APP_GUARD`,
 * `useGlobalGuards`), on the gateway class (inherited class metadata included, as Nest reads it) or on the handler.
 */
function guardRunsFor(config: ApplicationConfig, handler: Function, gateway: Function): boolean {
  if (config.getGlobalGuards().some((guard) => isWsAuthGuard(guard) || isWsAuthGuardClass(guard))) return true;
  if (config.getGlobalRequestGuards().some((wrapper) => isWsAuthGuardClass(wrapper.metatype))) return true;
  return hasWsAuthGuard(gateway) || hasWsAuthGuard(handler);
}

function hasWsAuthGuard(target: Function): boolean {
  const guards: unknown[] = Reflect.getMetadata(GUARDS_METADATA, target) ?? [];
  return guards.some((guard) => isWsAuthGuardClass(guard) || isWsAuthGuard(guard));
}

function isWsAuthGuardClass(value: unknown): boolean {
  return typeof value === 'function' && (value === WsAuthGuard || value.prototype instanceof WsAuthGuard);
}

function isWsAuthGuard(value: unknown): boolean {
  return value instanceof WsAuthGuard;
}
