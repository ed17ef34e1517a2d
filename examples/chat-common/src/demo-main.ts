import { ConfigError, loadConfig, type ChatConfig } from '@sockauth/example-chat-common/config';
import { RedisModeError } from '@sockauth/example-chat-common/redis-mode';

/** A started demo server, as {@link runDemo} needs it. */
export interface RunningDemo {
  /** `http://HOST:PORT` with the real port. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The entry point of every demo (`npm run demo`, `demo:ws`): reads the environment, starts the chat server with
 * `start` and prints exactly one line to stdout, `listening on http://HOST:PORT`. Notices and errors go to stderr
 * prefixed with `name`; exit code 1 on a configuration error; SIGINT/SIGTERM close the server.
 *
 * @example
 * ```ts
 * runDemo('ws-chat', createChatServer);
 * ```
 */
export function runDemo(name: string, start: (config: ChatConfig) => Promise<RunningDemo>): void {
  main(name, start).catch((error: unknown) => {
    process.stderr.write(`${name}: failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}

async function main(name: string, start: (config: ChatConfig) => Promise<RunningDemo>): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${name}: configuration error: ${error.message}\n`);
    process.exit(1);
  }
  if (config.secretGenerated) {
    process.stderr.write(
      `${name}: JWT_SECRET is not set: using a random secret for this process. ` +
        'Get tokens from POST /auth/login; `npm run demo:token` needs JWT_SECRET.\n',
    );
  }

  let server;
  try {
    server = await start(config);
  } catch (error) {
    if (error instanceof RedisModeError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(1);
    }
    const { code, message } = error as NodeJS.ErrnoException;
    process.stderr.write(`${name}: cannot listen on ${config.host}:${config.port}: ${code ?? message}\n`);
    process.exit(1);
  }
  process.stdout.write(`listening on ${server.url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${name}: ${signal}, shutting down\n`);
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
