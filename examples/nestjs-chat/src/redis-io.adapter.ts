import type { INestApplicationContext } from '@nestjs/common';
import type { RedisMode } from '@sockauth/example-chat-common/redis-mode';
import { SockAuthIoAdapter } from '@sockauth/nestjs';

type IoServerOptions = Parameters<SockAuthIoAdapter['createIOServer']>[1];

/**
 * The WebSocket adapter of the cluster mode (`REDIS_URL`): sockauth on every server (it extends
 * `SockAuthIoAdapter`, which the module insists on) plus the Socket.IO Redis adapter, so rooms and broadcasts
 * span every node. Revocations cross nodes through the `RedisRevocationStore` given to `SockAuthModule`.
 *
 * @example
 * ```ts
 * app.useWebSocketAdapter(new RedisSockAuthIoAdapter(app, redis.adapter));
 * ```
 */
export class RedisSockAuthIoAdapter extends SockAuthIoAdapter {
  readonly #adapter: RedisMode['adapter'];

  constructor(app: INestApplicationContext, adapter: RedisMode['adapter']) {
    super(app);
    this.#adapter = adapter;
  }

  override createIOServer(port: number, options?: IoServerOptions): ReturnType<SockAuthIoAdapter['createIOServer']> {
    // Through the constructor options, so every namespace starts with the Redis adapter.
    return super.createIOServer(port, { ...options, adapter: this.#adapter } as IoServerOptions);
  }
}
