import type { INestApplicationContext } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { WS_ADAPTER_BRAND, brand, hasBrand } from './adapter-brand.js';
import { isApplicationContext, serviceOfApp } from './service-of-app.js';
import type { ResultTransform } from './ws-message-dispatch.js';
import { WsPlatform } from './ws-platform.js';
import { assertOptionsPassedOn, assertOverriddenMethods } from './ws-platform-internals.js';

/** Gateway options sockauth sets on every server: a gateway's own would silently switch its checks off. */
const RESERVED_OPTIONS = ['verifyClient', 'handleProtocols'] as const;

/**
 * Nest's `ws` adapter (`@nestjs/platform-ws`) with sockauth on every server it creates, the `ws` counterpart of
 * {@link SockAuthIoAdapter}: the token is verified during the upgrade, and a refused upgrade is closed at once with
 * its close code (4100–4499) and `{"code","action"}` reason *before* `handleConnection` runs (Nest never sees
 * it); authenticated clients get expiry, `auth:refresh` and revocation, and every message the gateways' permission
 * decorators, `WsAuthGuard`, `@AuthUser()` and `@SockAuthContext()` as on Socket.IO. One session serves every
 * gateway path of the application, sharing the module's verifier and revocation store.
 *
 * Frames are sockauth's `{ type, id?, data }` envelope (the wire of `@sockauth/ws` and of `@sockauth/client`'s
 * WebSocket flavour): `type` is the `@SubscribeMessage()` pattern, a message with an `id` is acked
 * `{ type: 'ack', id, data }` with what the handler returns. Nest's own `{ event, data }` frames are not accepted
 * (acked `BAD_REQUEST` when they carry an `id`, else ignored): they cannot ask for an ack, so a client speaking them
 * would never see a refusal, an `auth:refresh` answer or a handler's result. For the same reason `setMessageParser`
 * throws.
 *
 * The module's options are the same as with Socket.IO. `@Public()` on a gateway class makes its path's server
 * unauthenticated (its clients have no context; handlers with permission decorators refuse them `AUTH_MISSING`);
 * a public and a protected gateway on one path, and `skipNamespaces` (Socket.IO namespaces), are refused at start-up
 * (`TypeError`).
 *
 * @example
 * ```ts
 * import { SockAuthWsAdapter } from '@sockauth/nestjs/ws';
 *
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new SockAuthWsAdapter(app));
 * await app.listen(3000);
 * ```
 */
export class SockAuthWsAdapter extends WsAdapter {
  readonly #app: INestApplicationContext | undefined;
  #platform: WsPlatform | undefined;

  /**
   * @param app the application: its HTTP server carries the gateways (port 0), and the `SockAuthService` is
   *   resolved from it when the first server is created.
   * @throws UnsupportedWsInternalsError (from `@sockauth/ws`) when the `@nestjs/platform-ws` in use lacks a method this
   *   adapter overrides, or (when a gateway's server is created) no longer passes gateway options on to `ws`.
   */
  constructor(app?: INestApplicationContext | object) {
    super(app);
    assertOverriddenMethods();
    brand(this, WS_ADAPTER_BRAND);
    this.#app = isApplicationContext(app) ? app : undefined;
  }

  /**
   * True for a {@link SockAuthWsAdapter} from any copy of this package (`instanceof` fails across copies).
   *
   * @example
   * ```ts
   * if (!SockAuthWsAdapter.isSockAuthWsAdapter(adapter)) throw new Error('gateways would be unauthenticated');
   * ```
   */
  static isSockAuthWsAdapter(value: unknown): value is SockAuthWsAdapter {
    return hasBrand(value, WS_ADAPTER_BRAND);
  }

  /** Creates the gateway's server with sockauth's server options, and attaches sockauth to it. */
  override create(port: number, options: Record<string, any> & { namespace?: string; server?: any; path?: string } = {}): any {
    const platform = this.#resolve();
    for (const key of RESERVED_OPTIONS) {
      if (options[key] !== undefined) {
        throw new TypeError(`sockauth: gateway option "${key}" would replace sockauth's; SockAuthWsAdapter sets it (see @sockauth/ws)`);
      }
    }
    const ours = platform.serverOptions(port, options.path);
    const limit = platform.wsAuth.serverOptions.maxPayload;
    const given: unknown = options['maxPayload'];
    const maxPayload = typeof given === 'number' && given > 0 && given < limit ? given : limit;
    const server = super.create(port, { ...options, ...ours, maxPayload });
    assertOptionsPassedOn(server as WebSocketServer, ours);
    // attach() refuses a server not created with sockauth's options (a TypeError at start-up).
    platform.serve(server as WebSocketServer, port, options.path);
    return server;
  }

  /** Only admitted clients reach Nest (`handleConnection`, message handlers): a refused upgrade is already closing. */
  override bindClientConnect(server: WebSocketServer, callback: (ws: WebSocket, ...rest: unknown[]) => void): void {
    const platform = this.#resolve();
    server.on('connection', (ws: WebSocket, ...rest: unknown[]) => {
      if (platform.admit(ws, server)) callback(ws, ...rest);
    });
  }

  /** Messages are read by sockauth (envelope, session checks, decorators), then run by Nest's handlers. */
  override bindMessageHandlers(client: WebSocket, handlers: MessageMappingProperties[], transform: ResultTransform): void {
    this.#resolve().bindHandlers(client, handlers, transform);
  }

  /** Refused: frames are sockauth's envelope (see the class documentation). */
  override setMessageParser(): void {
    throw new TypeError('sockauth: SockAuthWsAdapter reads frames as the { type, id?, data } envelope; a message parser would never run');
  }

  #resolve(): WsPlatform {
    return (this.#platform ??= WsPlatform.of(serviceOfApp(this.#app, 'SockAuthWsAdapter')));
  }
}
