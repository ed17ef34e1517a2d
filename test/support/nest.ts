import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { closeAfterTest } from '@sockauth/testing';

export interface NestTestApp {
  readonly app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Closes the application (idempotent); the after-each close calls it too. */
  close(): Promise<void>;
}

export interface StartNestAppOptions {
  /** Runs after `createNestApplication()` and before `listen()`, e.g. to set a WebSocket adapter. */
  readonly configure?: (app: INestApplication) => void;
}

/**
 * Compiles a testing module, creates a real Nest application (Express + Socket.IO) and listens on an ephemeral
 * loopback port. Closed after each test. Nest's logger is off: tests assert on behaviour.
 */
export async function startNestApp(metadata: ModuleMetadata, options: StartNestAppOptions = {}): Promise<NestTestApp> {
  const app = await createNestApp(metadata);
  options.configure?.(app);
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return { app, url, close: () => closeOnce(app) };
}

/** Like {@link startNestApp} without listening: for start-up failures (`app.init()` rejects). */
export async function createNestApp(metadata: ModuleMetadata): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  closeAfterTest(() => closeOnce(app));
  return app;
}

const closing = new WeakMap<INestApplication, Promise<void>>();
function closeOnce(app: INestApplication): Promise<void> {
  let closed = closing.get(app);
  if (closed === undefined) {
    closed = app.close();
    closing.set(app, closed);
  }
  return closed;
}
