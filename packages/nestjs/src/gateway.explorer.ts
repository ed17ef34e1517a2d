import { MetadataScanner, type DiscoveryService } from '@nestjs/core';
import { GATEWAY_METADATA, GATEWAY_OPTIONS, MESSAGE_MAPPING_METADATA, MESSAGE_METADATA, PORT_METADATA } from '@nestjs/websockets/constants.js';
import { PUBLIC_KEY } from './sockauth.constants.js';

/** What sockauth needs to know about one gateway class. */
export interface GatewayInfo {
  readonly metatype: Function;
  /** Socket.IO namespace, normalised to a leading `/` (as `server.of()` does). */
  readonly namespace: string | RegExp;
  /** `@Public()` on the class: its namespace skips handshake authentication. */
  readonly isPublic: boolean;
  /** The message patterns of its `@SubscribeMessage()` handlers. */
  readonly patterns: readonly string[];
  /** The gateway's port (`0`: the application's HTTP server) and `path` option, as given: Nest's key of its server. */
  readonly server: { readonly port: number; readonly path: unknown };
}

/**
 * Every gateway class registered in the application, found the way `@nestjs/websockets` finds them (providers
 * carrying the gateway metadata). Called from a provider's constructor: the module graph is fully scanned by then,
 * and gateways are only connected later, in `app.init()`.
 */
export function exploreGateways(discovery: DiscoveryService): GatewayInfo[] {
  const seen = new Set<Function>();
  const gateways: GatewayInfo[] = [];
  for (const wrapper of discovery.getProviders()) {
    const metatype = wrapper.metatype;
    if (typeof metatype !== 'function' || wrapper.isNotMetatype || seen.has(metatype)) continue;
    if (Reflect.getMetadata(GATEWAY_METADATA, metatype) !== true) continue;
    seen.add(metatype);
    const options = (Reflect.getMetadata(GATEWAY_OPTIONS, metatype) ?? {}) as { namespace?: unknown; path?: unknown };
    gateways.push({
      metatype,
      namespace: normaliseNamespace(options.namespace),
      isPublic: Reflect.getMetadata(PUBLIC_KEY, metatype) === true,
      patterns: messagePatterns(metatype),
      server: { port: Reflect.getMetadata(PORT_METADATA, metatype) || 0, path: options.path },
    });
  }
  return gateways;
}

/** One `@SubscribeMessage()` handler of a gateway class. */
export interface MessageHandler {
  /** The method name, for messages. */
  readonly name: string;
  /** The method, as Nest calls it (possibly inherited from a base class). */
  readonly handler: Function;
  /** The event it handles. */
  readonly pattern: string;
}

/**
 * The message handlers of a gateway class, found the way `@nestjs/websockets` finds them (every method name
 * along the prototype chain, the method the class resolves it to, carrying the message-mapping metadata), so
 * inherited handlers are included and a method overridden without `@SubscribeMessage()` is not a handler.
 * Socket.IO event names are strings; other patterns are left out.
 */
export function messageHandlers(metatype: Function): MessageHandler[] {
  const handlers: MessageHandler[] = [];
  for (const name of new MetadataScanner().getAllMethodNames(metatype.prototype)) {
    const handler = (metatype.prototype as Record<string, unknown>)[name];
    if (typeof handler !== 'function' || Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler) === undefined) continue;
    const pattern: unknown = Reflect.getMetadata(MESSAGE_METADATA, handler);
    if (typeof pattern === 'string') handlers.push({ name, handler, pattern });
  }
  return handlers;
}

function messagePatterns(metatype: Function): string[] {
  return messageHandlers(metatype).map((handler) => handler.pattern);
}

function normaliseNamespace(namespace: unknown): string | RegExp {
  if (namespace instanceof RegExp) return namespace;
  if (typeof namespace !== 'string' || namespace.length === 0) return '/';
  return namespace.startsWith('/') ? namespace : `/${namespace}`;
}
