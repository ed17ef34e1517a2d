import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type Provider,
} from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, GUARDS_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, DiscoveryModule, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import { MESSAGE_MAPPING_METADATA } from '@nestjs/websockets/constants.js';
import { PublicMetadata } from './public.decorator.js';
import { RequireAnyPermissionMetadata } from './require-any-permission.decorator.js';
import { RequirePermissionsMetadata } from './require-permissions.decorator.js';
import { SOCKAUTH_MODULE_OPTIONS } from './sockauth.constants.js';
import { SockAuthIoAdapter, createModuleAdapter } from './sockauth-io.adapter.js';
import type { SockAuthModuleAsyncOptions, SockAuthModuleOptions } from './sockauth-options.interface.js';
import { SockAuthService, internalsOf } from './sockauth.service.js';
import { WsAuthExceptionFilter } from './ws-auth-exception.filter.js';
import { WsAuthGuard } from './ws-auth.guard.js';

/** The filter instance added to gateways; stateless, so one is shared. */
const gatewayFilter = new WsAuthExceptionFilter();

/**
 * JWT authentication for WebSocket gateways over the whole life of each socket: handshake authentication
 * (before `handleConnection`), {@link WsAuthGuard} and permission decorators per message, expiry, in-band
 * `auth:refresh` and revocation, through one {@link SockAuthService}.
 *
 * Secure by default: importing the module installs a {@link SockAuthIoAdapter} when the application has no
 * WebSocket adapter yet, and the application refuses to start if gateways exist but the adapter in use is not a
 * `SockAuthIoAdapter` (e.g. replaced by a plain `IoAdapter`), unless `allowUnauthenticatedGateways: true`. It
 * also refuses to start when a gateway uses `@RequirePermissions()`/`@RequireAnyPermission()` without
 * `WsAuthGuard` applied (handler, gateway or global), since those decorators would silently do nothing.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     SockAuthModule.forRoot({
 *       verifier: { algorithms: ['HS256'], secret: process.env.JWT_SECRET!, issuer: 'me', audience: 'chat' },
 *     }),
 *   ],
 *   providers: [ChatGateway, { provide: APP_GUARD, useClass: WsAuthGuard }],
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
    const { options, gateways } = internalsOf(service);
    if (options.gatewayExceptionFilter !== false) {
      for (const gateway of gateways) addGatewayFilter(gateway.metatype);
    }
  }

  /**
   * Registers the module with static options.
   *
   * @example
   * ```ts
   * SockAuthModule.forRoot({ useJwtService: true, global: true })
   * ```
   */
  static forRoot(options: SockAuthModuleOptions): DynamicModule {
    return buildModule(options.global === true, [{ provide: SOCKAUTH_MODULE_OPTIONS, useValue: options }]);
  }

  /**
   * Registers the module with options built by a factory, e.g. from `ConfigService`.
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
   * ```
   */
  static forRootAsync(options: SockAuthModuleAsyncOptions): DynamicModule {
    if (typeof options?.useFactory !== 'function') throw new TypeError('sockauth: forRootAsync needs "useFactory"');
    const provider: Provider = {
      provide: SOCKAUTH_MODULE_OPTIONS,
      useFactory: options.useFactory,
      inject: [...(options.inject ?? [])] as never[],
    };
    return buildModule(options.global === true, [provider], options.imports ?? []);
  }

  /** Refuses to serve gateways that would accept unauthenticated sockets or ignore permission decorators. */
  onApplicationBootstrap(): void {
    const { options, gateways, logger } = internalsOf(this.#service);
    if (gateways.length === 0) return;
    const adapter = this.#config.getIoAdapter();
    if (!SockAuthIoAdapter.isSockAuthIoAdapter(adapter)) {
      const message =
        `the WebSocket adapter (${adapter?.constructor?.name ?? 'none'}) is not a SockAuthIoAdapter, so gateways ` +
        `${gateways.map((g) => g.metatype.name).join(', ')} accept unauthenticated sockets`;
      if (options.allowUnauthenticatedGateways !== true) {
        throw new Error(
          `sockauth: ${message}. Use app.useWebSocketAdapter(new SockAuthIoAdapter(app)) or extend SockAuthIoAdapter ` +
            '(or set allowUnauthenticatedGateways: true to accept this)',
        );
      }
      logger.warn(message);
    }
    const unguarded = this.#unguardedHandlers();
    if (unguarded.length > 0) {
      throw new Error(
        `sockauth: ${unguarded.join(', ')} need WsAuthGuard (permission decorators or the authorize hook) but it ` +
          'does not run for them; apply ' +
          '@UseGuards(WsAuthGuard) to the handler or gateway, or provide it as APP_GUARD',
      );
    }
  }

  /**
   * Handlers that WsAuthGuard must cover but does not (handler, gateway or global level): those with permission
   * metadata (their own or their gateway's), and, when a live `authorize` hook is configured, every non-public one.
   */
  #unguardedHandlers(): string[] {
    if (this.#config.getGlobalGuards().some(isWsAuthGuard)) return [];
    if (this.#config.getGlobalRequestGuards().some((wrapper) => isWsAuthGuardClass(wrapper.metatype))) return [];
    const { options, gateways } = internalsOf(this.#service);
    const authorize = options.authorize !== undefined;
    const scanner = new MetadataScanner();
    const unguarded: string[] = [];
    for (const { metatype } of gateways) {
      if (hasWsAuthGuard(metatype)) continue;
      const classRequires = requiresPermissions(metatype);
      const classPublic = Reflect.getMetadata(PublicMetadata.KEY, metatype) === true;
      for (const name of scanner.getAllMethodNames(metatype.prototype)) {
        const handler = (metatype.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler) === undefined) continue;
        if (hasWsAuthGuard(handler)) continue;
        const requires = classRequires || requiresPermissions(handler);
        const isPublic =
          Reflect.getMetadata(PublicMetadata.KEY, handler) === true || (classPublic && !requiresPermissions(handler));
        if (requires || (authorize && !isPublic)) unguarded.push(`${metatype.name}.${name}`);
      }
    }
    return unguarded;
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

/** Adds the filter as the gateway's first class-level filter: Nest tries filters last-declared first. */
function addGatewayFilter(metatype: Function): void {
  const existing: unknown[] = Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, metatype) ?? [];
  if (existing.some((filter) => filter === gatewayFilter)) return;
  Reflect.defineMetadata(EXCEPTION_FILTERS_METADATA, [gatewayFilter, ...existing], metatype);
}

function requiresPermissions(target: Function): boolean {
  return (
    Reflect.getMetadata(RequirePermissionsMetadata.KEY, target) !== undefined ||
    Reflect.getMetadata(RequireAnyPermissionMetadata.KEY, target) !== undefined
  );
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
