import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { WsAdapter } from '@nestjs/platform-ws';
import { UnsupportedWsInternalsError, type WsServerOptions } from '@sockauth/ws';
import type { WebSocketServer } from 'ws';

/**
 * The one place where `SockAuthWsAdapter` relies on what `@nestjs/platform-ws` does not document.
 *
 * - It overrides `WsAdapter#create`, `#bindClientConnect` and `#bindMessageHandlers`. Were one renamed, Nest would
 *   call its own in its place and a gateway would take clients and messages sockauth never saw:
 *   {@link assertOverriddenMethods} refuses to construct the adapter instead.
 * - `WsAdapter#create(port, options)` passes the gateway's options on to the `ws` server it creates; sockauth puts its
 *   `verifyClient`, `handleProtocols` and `maxPayload` there. {@link assertOptionsPassedOn} checks the server got them.
 *
 * Both throw an `UnsupportedWsInternalsError` naming the member and the `@nestjs/platform-ws` version: never a
 * silent fallback. What Nest does with the server afterwards (its upgrade listener routes by path to
 * `server.handleUpgrade`, which runs `verifyClient`, then emits `'connection'` with the upgrade's request; the
 * handlers are called `(data, ack)`) is checked over the wire by `packages/nestjs/test/ws-platform-internals.spec.ts`
 * and `ws-platform.spec.ts`, which `test/packaging/ws-versions.spec.ts` runs on the lowest and the newest
 * `@nestjs/platform-ws` of the peer range.
 */

const OVERRIDDEN = ['create', 'bindClientConnect', 'bindMessageHandlers'] as const;

/** Throws when `WsAdapter` (or `base`) lacks a method `SockAuthWsAdapter` overrides. */
export function assertOverriddenMethods(base: object = WsAdapter.prototype): void {
  for (const method of OVERRIDDEN) {
    if (typeof (base as Record<string, unknown>)[method] !== 'function') {
      throw new UnsupportedWsInternalsError(`WsAdapter#${method}`, 'a function', '@nestjs/platform-ws', platformWsVersion());
    }
  }
}

/**
 * Throws when the server `WsAdapter#create` returned does not carry `ours` (the options sockauth gave it): Nest no
 * longer passes a gateway's options on to `ws`.
 */
export function assertOptionsPassedOn(server: WebSocketServer, ours: Partial<WsServerOptions>): void {
  const kept = (server as { options?: Partial<Record<keyof WsServerOptions, unknown>> } | undefined)?.options;
  for (const key of ['verifyClient', 'handleProtocols'] as const) {
    if (ours[key] !== undefined && kept?.[key] !== ours[key]) {
      throw new UnsupportedWsInternalsError(
        'WsAdapter#create',
        `passing the gateway's ${key} on to the ws server it creates`,
        '@nestjs/platform-ws',
        platformWsVersion(),
      );
    }
  }
}

/** The version of the `@nestjs/platform-ws` resolved from the working directory, or `(version unknown)`. */
export function platformWsVersion(): string {
  try {
    // Its entry point is at the root of the package (it exports no ./package.json).
    const entry = createRequire(join(process.cwd(), 'noop.js')).resolve('@nestjs/platform-ws');
    const { version } = JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : '(version unknown)';
  } catch {
    return '(version unknown)';
  }
}
