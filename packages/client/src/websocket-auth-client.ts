import { assertPlainObject, type KnownKeys } from '@sockauth/core/option-keys';
import { AuthClientBase } from './auth-client-base.js';
import { BASE_OPTION_KEYS, resolveOptions, type AuthClientBaseOptions } from './options.js';
import type { DefaultEventsMap, EventNames, EventsMap } from './typed-events.js';
import { WebSocketTransport, type WebSocketConstructor, type WebSocketCredentials } from './websocket-transport.js';

/**
 * Options of {@link createWebSocketAuthClient}: the common ones ({@link AuthClientBaseOptions}: `getToken`,
 * `refresh`, `refreshWindow`, `backoff`, `ackTimeoutMs`, `autoConnect`, `autoRefresh`, `random`) and the WebSocket's.
 *
 * @example
 * ```ts
 * const options: WebSocketAuthClientOptions = { url: '/ws', getToken: () => tokens.access, refresh };
 * ```
 */
export interface WebSocketAuthClientOptions extends AuthClientBaseOptions {
  /**
   * The server's WebSocket endpoint, e.g. `wss://chat.example.com/ws`. In a page it may also be a path (`/ws`) or
   * an `http(s)` URL, resolved against the page (`https` → `wss`).
   */
  readonly url: string;
  /**
   * The WebSocket constructor. Default: `globalThis.WebSocket` (browsers, Node ≥ 22). In Node 20, pass the `ws`
   * package's `WebSocket`.
   */
  readonly WebSocket?: WebSocketConstructor;
  /**
   * Where the token goes: `'subprotocol'` (default; `["sockauth", "sockauth.bearer.<token>"]`, what browsers can
   * do) or `'header'` (`Authorization: Bearer`, with the `ws` package only: browsers cannot set headers).
   */
  readonly credentials?: WebSocketCredentials;
  /** The `ws` package's client options (`agent`, `ca`, `headers`…), passed as the constructor's third argument. */
  readonly wsOptions?: Readonly<Record<string, unknown>>;
}

const WEBSOCKET_OPTION_KEYS = {
  ...BASE_OPTION_KEYS,
  url: true,
  WebSocket: true,
  credentials: true,
  wsOptions: true,
} as const satisfies KnownKeys<WebSocketAuthClientOptions>;

const WHERE = 'createWebSocketAuthClient options';

/**
 * An {@link AuthClientBase} over a plain WebSocket speaking sockauth's JSON frames (`@sockauth/ws` on the
 * server): the same states, refresh window, backoff, taxonomy and idempotent emits as the Socket.IO flavour. A new
 * connection presents the newest token; in-band re-auth (`auth:refresh`) keeps the same connection. Server pushes
 * (`{ type, data }`) reach {@link WebSocketAuthClient.listen}; `status.socketId` is a local connection number
 * (`ws-1`, `ws-2`…: the protocol has no server-side id), so a change means a new connection.
 *
 * @example
 * ```ts
 * const client = createWebSocketAuthClient<ServerEvents, ClientEvents>({ url: '/ws', getToken, refresh });
 * client.listen('chat:message', (message) => render(message));
 * client.on('roomLeft', ({ room }) => markLeft(room));
 * await client.emitWithAck('chat:join', { room: 'lobby' });
 * ```
 */
export class WebSocketAuthClient<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
> extends AuthClientBase<EmitEvents> {
  readonly #transport: WebSocketTransport;

  constructor(options: WebSocketAuthClientOptions) {
    const resolved = resolveOptions(options, WEBSOCKET_OPTION_KEYS, WHERE);
    const transport = new WebSocketTransport({
      url: webSocketUrl(options.url),
      WebSocket: webSocketConstructor(options.WebSocket),
      credentials: credentials(options.credentials),
      wsOptions: wsOptions(options.wsOptions),
      confirmTimeoutMs: resolved.ackTimeoutMs,
    });
    super(resolved, transport);
    this.#transport = transport;
    if (resolved.autoConnect) this.connect();
  }

  /**
   * Listens to the server's pushes of `type` (`{ type, data }` frames): the app's events, and sockauth's own
   * (`auth:expiring`, `auth:room-left`, `auth:error`) after the client handled them. Returns the function that
   * stops listening. Listeners stay across reconnections.
   *
   * @example
   * ```ts
   * const stop = client.listen('chat:message', ({ room, text, from }) => render(room, from, text));
   * ```
   */
  listen<E extends EventNames<ListenEvents>>(type: E, listener: ListenEvents[E]): () => void {
    if (typeof type !== 'string' || typeof listener !== 'function') {
      throw new TypeError('sockauth client: listen(type, listener) needs a string and a function');
    }
    return this.#transport.listen(type, listener as (data: unknown) => void);
  }
}

/**
 * Creates a {@link WebSocketAuthClient}. Type the server's pushes (`type` → `(data) => void`) and the client's
 * requests (`type` → `(data, ack: (response) => void) => void`) with the two type parameters.
 *
 * @example
 * ```ts
 * // Browser: the token travels in the subprotocols.
 * const client = createWebSocketAuthClient({ url: '/ws', getToken: () => tokens.access, refresh });
 *
 * // Node 20 with the ws package: the token in an Authorization header.
 * import { WebSocket } from 'ws';
 * const bot = createWebSocketAuthClient({ url: 'wss://chat.example.com/ws', WebSocket, credentials: 'header', getToken, refresh });
 * const me = await bot.emitWithAck('whoami');
 * ```
 */
export function createWebSocketAuthClient<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = DefaultEventsMap>(
  options: WebSocketAuthClientOptions,
): WebSocketAuthClient<ListenEvents, EmitEvents> {
  return new WebSocketAuthClient<ListenEvents, EmitEvents>(options);
}

function webSocketUrl(url: unknown): string {
  if (typeof url !== 'string' || url === '') throw new TypeError('sockauth client: "url" must be a ws:// or wss:// URL');
  const base = (globalThis as { location?: { href?: unknown } }).location?.href;
  let parsed: URL;
  try {
    parsed = typeof base === 'string' ? new URL(url, base) : new URL(url);
  } catch {
    throw new TypeError('sockauth client: "url" must be a ws:// or wss:// URL (a path only in a browser page)');
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new TypeError('sockauth client: "url" must be a ws:// or wss:// URL');
  // WebSocket URLs have no fragment: the constructor refuses one.
  parsed.hash = '';
  return parsed.href;
}

function webSocketConstructor(value: unknown): WebSocketConstructor {
  const ctor = value ?? (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof ctor !== 'function') {
    throw new TypeError(
      value === undefined
        ? 'sockauth client: no global WebSocket here: pass "WebSocket" (e.g. the ws package\'s)'
        : 'sockauth client: "WebSocket" must be a WebSocket constructor',
    );
  }
  return ctor as WebSocketConstructor;
}

function credentials(value: unknown): WebSocketCredentials {
  if (value === undefined) return 'subprotocol';
  if (value !== 'subprotocol' && value !== 'header') throw new TypeError('sockauth client: "credentials" must be "subprotocol" or "header"');
  return value;
}

function wsOptions(value: unknown): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined) return undefined;
  assertPlainObject(`${WHERE}.wsOptions`, value);
  if (value['headers'] !== undefined) assertPlainObject(`${WHERE}.wsOptions.headers`, value['headers']);
  return value;
}
