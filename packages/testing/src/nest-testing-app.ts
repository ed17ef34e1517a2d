import { assertKnownKeys, type KnownKeys } from '@sockauth/core';
import { closeAfterTest } from './auto-close.js';
import { createTestIssuer, type TestIssuer } from './test-issuer.js';

/** The parts of Nest's `ModuleMetadata` the kit passes through (typed loosely so Nest stays an optional peer). */
export interface TestingModuleMetadata {
  readonly imports?: unknown[];
  readonly providers?: unknown[];
  readonly controllers?: unknown[];
}

/** Options of {@link createSockAuthTestingApp}. */
export interface SockAuthTestingAppOptions<TApp extends NestAppLike = NestAppLike> {
  /** The issuer to trust (default: a new HS256 {@link createTestIssuer}). */
  readonly issuer?: TestIssuer;
  /** Extra `SockAuthModule.forRoot` options (`warnBeforeSec`, `graceSec`, `revocationStore`, …). */
  readonly sockAuth?: Record<string, unknown>;
  /**
   * Runs on the created application before it is initialised or listens: the place for
   * `app.useWebSocketAdapter(...)` (a `SockAuthIoAdapter` subclass with a Redis adapter, say), global pipes or
   * filters. A promise it returns is awaited; what it resolves to is ignored. If it throws (or the application then
   * fails to start), the application is closed and `createSockAuthTestingApp` rejects with that error.
   *
   * @example
   * ```ts
   * await createSockAuthTestingApp({ providers: [ChatGateway] }, {
   *   configure: (app) => app.useWebSocketAdapter(new RedisSockAuthAdapter(app)),
   * });
   * ```
   */
  readonly configure?: (app: TApp) => unknown;
  /**
   * `false`: return the application created (and configured) but neither initialised nor listening, for tests of
   * start-up (`await expect(app.init()).rejects...`) or that listen themselves. It is still closed after the test.
   * Default `true`: listen on 127.0.0.1 and an ephemeral port.
   */
  readonly listen?: boolean;
}

/** Every option of {@link SockAuthTestingAppOptions}: the typecheck fails if the two drift apart. */
const TESTING_APP_OPTION_KEYS = {
  issuer: true,
  sockAuth: true,
  configure: true,
  listen: true,
} as const satisfies KnownKeys<SockAuthTestingAppOptions>;

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

/** A Nest application created with `{ listen: false }`: neither initialised nor listening yet. */
export interface UnstartedSockAuthTestingApp<TApp = NestAppLike> {
  /** The Nest application: call `app.init()` or `app.listen(0, '127.0.0.1')` yourself. */
  readonly app: TApp;
  /** Always `undefined`: the application is not listening (pass `app` to `connectAs` once it does). */
  readonly url: undefined;
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

/** The members of a Nest application the kit (and a `configure` hook typed with it) uses. */
export interface NestAppLike {
  init(): Promise<unknown>;
  listen(port: number, host: string): Promise<unknown>;
  getUrl(): Promise<string>;
  close(): Promise<void>;
  get<T>(token: (abstract new (...args: never[]) => T) | string | symbol, options?: { strict?: boolean }): T;
  /** Nest's `app.useWebSocketAdapter(adapter)`. */
  useWebSocketAdapter(adapter: object): unknown;
}

/**
 * Builds, starts and returns a NestJS application whose `SockAuthModule` trusts a test issuer: a real
 * `@nestjs/testing` module, a real HTTP server on a loopback port, the real sockauth handshake and permission decorators.
 * Needs `@nestjs/testing` and `@sockauth/nestjs` (optional peer dependencies), loaded only when called.
 * `options.configure` runs on the application before it starts; with `{ listen: false }` it is returned unstarted.
 *
 * @example
 * ```ts
 * const { url, issuer } = await createSockAuthTestingApp({ providers: [ChatGateway] }); // its decorators are enforced by SockAuthModule
 * const socket = await connectAs(url, { sub: 'alice', permissions: ['chat:write'] }, { issuer });
 *
 * // A plain IoAdapter would leave the gateways unauthenticated: the application refuses to start.
 * const { app } = await createSockAuthTestingApp(
 *   { providers: [ChatGateway] },
 *   { configure: (nest) => nest.useWebSocketAdapter(new IoAdapter(nest)), listen: false },
 * );
 * await expect(app.init()).rejects.toThrow();
 * ```
 */
export function createSockAuthTestingApp<TApp extends NestAppLike = NestAppLike>(
  metadata: TestingModuleMetadata,
  options: SockAuthTestingAppOptions<TApp> & { readonly listen: false },
): Promise<UnstartedSockAuthTestingApp<TApp>>;
export function createSockAuthTestingApp<TApp extends NestAppLike = NestAppLike>(
  metadata: TestingModuleMetadata,
  options?: SockAuthTestingAppOptions<TApp> & { readonly listen?: true },
): Promise<SockAuthTestingApp<TApp>>;
export function createSockAuthTestingApp<TApp extends NestAppLike = NestAppLike>(
  metadata: TestingModuleMetadata,
  options?: SockAuthTestingAppOptions<TApp>,
): Promise<SockAuthTestingApp<TApp> | UnstartedSockAuthTestingApp<TApp>>;
export async function createSockAuthTestingApp<TApp extends NestAppLike = NestAppLike>(
  metadata: TestingModuleMetadata,
  options: SockAuthTestingAppOptions<TApp> = {},
): Promise<SockAuthTestingApp<TApp> | UnstartedSockAuthTestingApp<TApp>> {
  assertKnownKeys('createSockAuthTestingApp options', options, TESTING_APP_OPTION_KEYS);
  const { configure, listen = true } = options;
  if (configure !== undefined && typeof configure !== 'function') {
    throw new TypeError('createSockAuthTestingApp: "configure" must be a function');
  }
  if (typeof listen !== 'boolean') throw new TypeError('createSockAuthTestingApp: "listen" must be a boolean');
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
  try {
    await configure?.(app);
    if (!listen) return { app, url: undefined, issuer, close };
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return { app, url, issuer, close };
  } catch (error) {
    // Nothing of a failed start may outlive this call (an open port would keep jest alive).
    await close().catch(() => undefined);
    throw error;
  }
}
