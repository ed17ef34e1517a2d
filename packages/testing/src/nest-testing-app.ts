import { closeAfterTest } from './auto-close.js';
import { createTestIssuer, type TestIssuer } from './test-issuer.js';

/** The parts of Nest's `ModuleMetadata` the kit passes through (typed loosely so Nest stays an optional peer). */
export interface TestingModuleMetadata {
  readonly imports?: unknown[];
  readonly providers?: unknown[];
  readonly controllers?: unknown[];
}

/** Options of {@link createSockAuthTestingApp}. */
export interface SockAuthTestingAppOptions {
  /** The issuer to trust (default: a new HS256 {@link createTestIssuer}). */
  readonly issuer?: TestIssuer;
  /** Extra `SockAuthModule.forRoot` options (`warnBeforeSec`, `graceSec`, `revocationStore`, …). */
  readonly sockAuth?: Record<string, unknown>;
}

/** A running Nest application for tests. */
export interface SockAuthTestingApp<TApp = NestAppLike> {
  /** The Nest application (listening on 127.0.0.1 and an ephemeral port). */
  readonly app: TApp;
  /** Its URL, e.g. `http://127.0.0.1:41234`: pass it to `connectAs`. */
  readonly url: string;
  /** The issuer its `SockAuthModule` trusts. */
  readonly issuer: TestIssuer;
  /** Closes the application (also done automatically after the test). */
  close(): Promise<void>;
}

interface NestTestingModule {
  Test: {
    createTestingModule(metadata: Record<string, unknown>): {
      compile(): Promise<{ createNestApplication(options?: Record<string, unknown>): unknown }>;
    };
  };
}
interface SockAuthNestModule {
  SockAuthModule: { forRoot(options: Record<string, unknown>): unknown };
}

/**
 * Loads an optional peer dependency by name. The specifier is a variable on purpose: the kit's types must not
 * depend on NestJS, which Socket.IO-only users do not install.
 */
async function loadPeer(name: string, install: string): Promise<unknown> {
  try {
    return await import(name);
  } catch {
    throw new Error(`createSockAuthTestingApp needs ${name}: ${install}`);
  }
}

/** The members of a Nest application the kit uses. */
export interface NestAppLike {
  listen(port: number, host: string): Promise<unknown>;
  getUrl(): Promise<string>;
  close(): Promise<void>;
  get<T>(token: (abstract new (...args: never[]) => T) | string | symbol, options?: { strict?: boolean }): T;
}

/**
 * Builds, starts and returns a NestJS application whose `SockAuthModule` trusts a test issuer: a real
 * `@nestjs/testing` module, a real HTTP server on a loopback port, the real sockauth handshake and permission decorators.
 * Needs `@nestjs/testing` and `@sockauth/nestjs` (optional peer dependencies), loaded only when called.
 *
 * @example
 * ```ts
 * const { url, issuer } = await createSockAuthTestingApp({ providers: [ChatGateway] }); // its decorators are enforced by SockAuthModule
 * const socket = await connectAs(url, { sub: 'alice', permissions: ['chat:write'] }, { issuer });
 * ```
 */
export async function createSockAuthTestingApp<TApp extends NestAppLike = NestAppLike>(
  metadata: TestingModuleMetadata,
  options: SockAuthTestingAppOptions = {},
): Promise<SockAuthTestingApp<TApp>> {
  const [{ Test }, { SockAuthModule }] = (await Promise.all([
    loadPeer('@nestjs/testing', 'npm install -D @nestjs/testing'),
    loadPeer('@sockauth/nestjs', 'npm install @sockauth/nestjs'),
  ])) as [NestTestingModule, SockAuthNestModule];
  const issuer = options.issuer ?? (await createTestIssuer());
  const moduleRef = await Test.createTestingModule({
    imports: [
      SockAuthModule.forRoot({ verifier: issuer.verifierOptions(), ...options.sockAuth }),
      ...(metadata.imports ?? []),
    ],
    providers: metadata.providers ?? [],
    controllers: metadata.controllers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false }) as unknown as TApp;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= app.close());
  closeAfterTest(close);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, issuer, close };
}
