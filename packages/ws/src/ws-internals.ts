import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { WebSocketServer } from 'ws';

/**
 * The one place where the ws adapter touches what `ws` does not document. There is one member: the options a
 * `WebSocketServer` keeps (`WebSocketServer#options`, declared by `@types/ws`, absent from ws's documentation), read by
 * `attach()` / `handleUpgrade()` to refuse a server that was not created with sockauth's `serverOptions` (else tokens
 * would not be verified during the upgrade). A ws without it makes `attach()` throw an
 * {@link UnsupportedWsInternalsError} naming the member and the version: never a silent fallback, which would have to
 * let such a server through unchecked.
 *
 * Everything else the adapter relies on is documented ws behaviour, checked over the wire by
 * `packages/ws/test/ws-internals.spec.ts` on the lowest and the newest ws of the peer range
 * (`test/packaging/ws-versions.spec.ts`): `verifyClient(info, done)` runs (and completes) before the 101 response, in
 * server mode and in `handleUpgrade`; `'connection'` is emitted for every upgrade `done(true)` accepted, with the
 * `info.req` of its `verifyClient` call; `handleProtocols(protocols: Set, req)` selects the subprotocol; a frame over
 * `maxPayload` closes the connection with 1009 after an `'error'` event. The CommonJS exports `WebSocket` and
 * `WebSocketServer` the adapter and its documentation use appeared in ws 8.2.0: the floor of the peer range.
 */

/** The options `ws` keeps on a server, as far as sockauth reads them. */
export interface KeptServerOptions {
  readonly verifyClient?: unknown;
  readonly handleProtocols?: unknown;
  readonly maxPayload?: unknown;
}

/**
 * Thrown at start-up (`attach()`, `handleUpgrade()`; `SockAuthWsAdapter` in `@sockauth/nestjs`) when the `ws` or
 * `@nestjs/platform-ws` in use lacks, or changed, something sockauth's guarantees rely on: `member` names it,
 * `packageName` and `version` the package found. sockauth refuses to run rather than run without them.
 *
 * @example
 * ```ts
 * try {
 *   wsAuth.attach(wss);
 * } catch (error) {
 *   if (error instanceof UnsupportedWsInternalsError) console.error(error.packageName, error.version, error.member);
 *   throw error;
 * }
 * ```
 */
export class UnsupportedWsInternalsError extends Error {
  override readonly name = 'UnsupportedWsInternalsError';
  /** What is missing or changed, e.g. `WebSocketServer#options`. */
  readonly member: string;
  /** `ws` or `@nestjs/platform-ws`. */
  readonly packageName: string;
  /** The version of {@link packageName} found, or `(version unknown)`. */
  readonly version: string;

  constructor(member: string, expected: string, packageName: string, version: string) {
    super(
      `sockauth: ${packageName} ${version} is not supported: ${member} is not ${expected}. sockauth relies on it for ` +
        `its guarantees and refuses to run rather than run without them (supported: the ${packageName} versions of ` +
        'the peer range of the sockauth package in use).',
    );
    this.member = member;
    this.packageName = packageName;
    this.version = version;
  }
}

/**
 * The options `wss` was created with, as `ws` keeps them. `TypeError` when `wss` is not a ws server at all; an
 * {@link UnsupportedWsInternalsError} when it is one but keeps no `options` object.
 */
export function keptServerOptions(wss: WebSocketServer, where: string): KeptServerOptions {
  const server = wss as Partial<Pick<WebSocketServer, 'on' | 'handleUpgrade'>> | null | undefined;
  if (typeof server?.on !== 'function' || typeof server.handleUpgrade !== 'function') {
    throw new TypeError(`sockauth: ${where} needs a ws WebSocketServer`);
  }
  const options = (wss as { options?: unknown }).options;
  if (typeof options !== 'object' || options === null) {
    throw new UnsupportedWsInternalsError('WebSocketServer#options', 'an object', 'ws', wsVersionOf(wss));
  }
  return options as KeptServerOptions;
}

/**
 * The version of the `ws` package whose `WebSocketServer` class made `wss` (found in Node's module cache, which ESM
 * imports of ws's CJS build fill too), else the one resolved from the working directory, else `(version unknown)`.
 */
export function wsVersionOf(wss: WebSocketServer): string {
  try {
    const require = createRequire(join(process.cwd(), 'noop.js'));
    for (const [file, loaded] of Object.entries(require.cache)) {
      if (!/[\\/]ws[\\/]index\.js$/.test(file)) continue;
      const exported = loaded?.exports as { Server?: unknown } | undefined;
      if (typeof exported?.Server === 'function' && wss instanceof (exported.Server as new () => object)) {
        return packageVersion(join(dirname(file), 'package.json'));
      }
    }
    // ws 8.0 and 8.1 export no ./package.json: its entry point is at the root of the package.
    return packageVersion(join(dirname(require.resolve('ws')), 'package.json'));
  } catch {
    return '(version unknown)';
  }
}

/** The `version` of a package.json, or `(version unknown)`. */
export function packageVersion(file: string): string {
  try {
    const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : '(version unknown)';
  } catch {
    return '(version unknown)';
  }
}
