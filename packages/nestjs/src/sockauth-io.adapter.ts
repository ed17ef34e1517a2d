import type { INestApplicationContext } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server } from 'socket.io';
import { IO_ADAPTER_BRAND, brand, hasBrand } from './adapter-brand.js';
import { isApplicationContext, serviceOfApp } from './service-of-app.js';
import type { SockAuthService } from './sockauth.service.js';

/** Lazy sources of an adapter the module installs itself, before the HTTP server exists. */
interface LazyDependencies {
  readonly service: SockAuthService;
  readonly httpAdapterHost: HttpAdapterHost;
}
const lazyDependencies = new WeakMap<SockAuthIoAdapter, LazyDependencies>();

/**
 * `@nestjs/platform-socket.io` pins its own copy of socket.io; the server types are taken from it, and sockauth
 * (which only relies on Socket.IO's public behaviour) attaches to servers from either copy.
 */
type IoServer = ReturnType<IoAdapter['createIOServer']>;
type IoServerOptions = Parameters<IoAdapter['createIOServer']>[1];

/**
 * Nest's Socket.IO adapter with sockauth attached to every server it creates: every gateway (every namespace,
 * dynamic ones included, except `@Public()` gateways' namespaces) refuses sockets without a valid token *before*
 * `handleConnection` runs, with the same `connect_error` (`err.data = { code, action }`) as `@sockauth/socket.io`;
 * authenticated sockets get expiry, `auth:refresh` and revocation, and every message the gateways' permission
 * decorators.
 *
 * `SockAuthModule` installs one by itself. Use it explicitly when you set the adapter yourself, or extend it for a
 * custom adapter (e.g. one that sets a Redis adapter in `createIOServer`): replacing it with a plain `IoAdapter`
 * makes the application refuse to start.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new SockAuthIoAdapter(app));
 * await app.listen(3000);
 * ```
 */
export class SockAuthIoAdapter extends IoAdapter {
  readonly #app: INestApplicationContext | undefined;
  #service: SockAuthService | undefined;

  /**
   * @param app the application: its HTTP server is used, and the `SockAuthService` is resolved from it when the
   *   first server is created (so the adapter can be built before the module is initialised).
   */
  constructor(app?: INestApplicationContext | object) {
    super(app);
    brand(this, IO_ADAPTER_BRAND);
    this.#app = isApplicationContext(app) ? app : undefined;
  }

  /**
   * True for a {@link SockAuthIoAdapter} from any copy of this package (`instanceof` fails across copies).
   *
   * @example
   * ```ts
   * if (!SockAuthIoAdapter.isSockAuthIoAdapter(adapter)) throw new Error('gateways would be unauthenticated');
   * ```
   */
  static isSockAuthIoAdapter(value: unknown): value is SockAuthIoAdapter {
    return hasBrand(value, IO_ADAPTER_BRAND);
  }

  /** Creates the Socket.IO server, then attaches sockauth to it before any gateway subscribes to it. */
  override createIOServer(port: number, options?: IoServerOptions): IoServer {
    const lazy = lazyDependencies.get(this);
    if (this.httpServer === undefined || this.httpServer === null) {
      // The module installs its adapter before Nest creates the HTTP server; it exists by the time gateways do.
      const httpServer = lazy?.httpAdapterHost.httpAdapter?.getHttpServer();
      if (httpServer !== undefined) (this as unknown as { httpServer: unknown }).httpServer = httpServer;
    }
    const server = super.createIOServer(port, options);
    this.#resolveService(lazy).attach(server as unknown as Server);
    return server;
  }

  #resolveService(lazy: LazyDependencies | undefined): SockAuthService {
    return (this.#service ??= lazy?.service ?? serviceOfApp(this.#app, 'SockAuthIoAdapter'));
  }
}

/** Builds the adapter the module installs when the application has none: everything is resolved lazily. */
export function createModuleAdapter(service: SockAuthService, httpAdapterHost: HttpAdapterHost): SockAuthIoAdapter {
  const adapter = new SockAuthIoAdapter();
  lazyDependencies.set(adapter, { service, httpAdapterHost });
  return adapter;
}
