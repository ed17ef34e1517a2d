import { createChatServer } from './app.js';
import { ConfigError, loadConfig } from '@sockauth/example-chat-common/config';
import { RedisModeError } from '@sockauth/example-chat-common/redis-mode';

/**
 * `npm run demo`: reads the environment, starts the chat server and prints exactly one line to stdout,
 * `listening on http://HOST:PORT`. Notices and errors go to stderr; exit code 1 on a configuration error.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`socketio-chat: configuration error: ${error.message}\n`);
    process.exit(1);
  }
  if (config.secretGenerated) {
    process.stderr.write(
      'socketio-chat: JWT_SECRET is not set: using a random secret for this process. ' +
        'Get tokens from POST /auth/login; `npm run demo:token` needs JWT_SECRET.\n',
    );
  }

  let server;
  try {
    server = await createChatServer(config);
  } catch (error) {
    if (error instanceof RedisModeError) {
      process.stderr.write(`socketio-chat: ${error.message}\n`);
      process.exit(1);
    }
    const { code, message } = error as NodeJS.ErrnoException;
    process.stderr.write(`socketio-chat: cannot listen on ${config.host}:${config.port}: ${code ?? message}\n`);
    process.exit(1);
  }
  process.stdout.write(`listening on ${server.url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`socketio-chat: ${signal}, shutting down\n`);
    // Do not wait forever for slow clients.
    setTimeout(() => process.exit(0), 5_000).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`socketio-chat: failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
