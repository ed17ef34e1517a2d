import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, formatUrl, loadConfig, type ChatConfig } from '@sockauth/example-chat-common/config';
import { RedisModeError, connectRedisMode, type RedisMode } from '@sockauth/example-chat-common/redis-mode';
import { revocationRetentionSec } from '@sockauth/example-chat-common/revocation';
import { AppModule } from './app.module.js';
import { configureHttp } from './configure-http.js';
import { RedisSockAuthIoAdapter } from './redis-io.adapter.js';
import { StderrLogger } from './stderr.logger.js';

/**
 * `npm run demo:nest`: reads the environment (the demos' shared `loadConfig`), starts the Nest application
 * and prints exactly one line to stdout, `listening on http://HOST:PORT`. Logs and errors go to stderr; exit
 * code 1 on a configuration error.
 */
async function main(): Promise<void> {
  let config: ChatConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`nestjs-chat: configuration error: ${error.message}\n`);
    process.exit(1);
  }
  if (config.secretGenerated) {
    process.stderr.write(
      'nestjs-chat: JWT_SECRET is not set: using a random secret for this process. ' +
        'Get tokens from POST /auth/login; `npm run demo:token` needs JWT_SECRET.\n',
    );
  }

  // REDIS_URL: the shared revocation store and the Socket.IO Redis adapter (as in the Socket.IO example).
  let redis: RedisMode | undefined;
  if (config.redisUrl !== undefined) {
    try {
      redis = await connectRedisMode(config.redisUrl, revocationRetentionSec(config));
    } catch (error) {
      if (!(error instanceof RedisModeError)) throw error;
      process.stderr.write(`nestjs-chat: ${error.message}\n`);
      process.exit(1);
    }
  }

  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, redis), {
    logger: new StderrLogger({ logLevels: ['error', 'warn'] }),
  });
  configureHttp(app);
  if (redis !== undefined) app.useWebSocketAdapter(new RedisSockAuthIoAdapter(app, redis.adapter));
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    process.stderr.write(`nestjs-chat: cannot listen on ${config.host}:${config.port}: ${code ?? message}\n`);
    await app.close().catch(() => undefined);
    await redis?.close();
    process.exit(1);
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`listening on ${formatUrl(config.host, port)}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`nestjs-chat: ${signal}, shutting down\n`);
    // Do not wait forever for slow clients.
    setTimeout(() => process.exit(0), 5_000).unref();
    app
      .close()
      .then(() => redis?.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`nestjs-chat: failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
