import type { AuthError } from '@sockauth/core/errors';
import type { RoomLeftPayload } from '@sockauth/core/protocol';

/**
 * Events of {@link AuthClient.on}.
 *
 * @example
 * ```ts
 * const onError: AuthClientEvents['error'] = (error) => log.warn(error.code);
 * client.on('error', onError);
 * ```
 */
export interface AuthClientEvents {
  /** The session is over (action `login`): show the login. Emitted once; the client no longer reconnects. */
  unauthenticated: (error: AuthError) => void;
  /**
   * The server refused this connection by policy (`AUTH_FORBIDDEN`, action `none`): tell the user (suspended
   * tenant, banned, too many sockets). Emitted once; the client no longer reconnects until {@link AuthClient.connect}.
   */
  forbidden: (error: AuthError) => void;
  /** A fresh token was accepted in band: same socket, new expiry, `version` + 1. */
  refreshed: (info: { readonly expiresAt: number; readonly version: number }) => void;
  /** Every auth error the client met and handled: refused handshakes, cuts (`auth:error`), failed refreshes. */
  error: (error: AuthError) => void;
  /**
   * `auth:room-left`: the server took this connection out of `room` because its current authorization no longer
   * allows it there (a re-auth with fewer permissions, a live restriction). The connection stays; nothing sent to
   * the room reaches it any more. `code` is usually `AUTH_FORBIDDEN` (action `none`).
   */
  roomLeft: (info: RoomLeftPayload) => void;
}

/**
 * Socket.IO event maps (the same shape as socket.io-client's).
 *
 * @example
 * ```ts
 * interface ClientToServer extends EventsMap { 'chat:send': (msg: { text: string }, ack: (res: { id: string }) => void) => void }
 * ```
 */
export interface EventsMap {
  [event: string]: any;
}
/**
 * The untyped default: any event, any arguments.
 *
 * @example
 * ```ts
 * const client: AuthClient<DefaultEventsMap, DefaultEventsMap> = createAuthClient({ url, refresh });
 * ```
 */
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}
/** The event names of a map. */
export type EventNames<M extends EventsMap> = keyof M & string;
type EventParams<M extends EventsMap, E extends EventNames<M>> = M[E] extends (...args: infer P) => any ? P : never;
type AllButLast<T extends unknown[]> = T extends [...infer Head, unknown] ? Head : any[];
type Last<T extends unknown[]> = T extends [...unknown[], infer Tail] ? Tail : any;
type FirstArg<T> = T extends (arg: infer P) => unknown ? P : any;
/**
 * Arguments of `event`, without the ack callback.
 *
 * @example
 * ```ts
 * type SendArgs = EmitArgs<ClientToServer, 'chat:send'>; // [msg: { text: string }]
 * ```
 */
export type EmitArgs<M extends EventsMap, E extends EventNames<M>> = AllButLast<EventParams<M, E>>;
/**
 * What the ack of `event` is called with.
 *
 * @example
 * ```ts
 * type SendAck = AckResponse<ClientToServer, 'chat:send'>; // { id: string }
 * ```
 */
export type AckResponse<M extends EventsMap, E extends EventNames<M>> = FirstArg<Last<EventParams<M, E>>>;

/**
 * Something that can emit with an ack: the client itself, or {@link AuthClient.idempotent}'s wrapper.
 *
 * @example
 * ```ts
 * async function send(emitter: AckEmitter<ClientToServer>, text: string) {
 *   return emitter.emitWithAck('chat:send', { text });
 * }
 * ```
 */
export interface AckEmitter<EmitEvents extends EventsMap> {
  emitWithAck<E extends EventNames<EmitEvents>>(event: E, ...args: EmitArgs<EmitEvents, E>): Promise<AckResponse<EmitEvents, E>>;
}

/** Calls a listener; an exception is reported asynchronously (like RxJS) so it cannot break the client's state. */
export function invoke(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

type Handler = (...args: any[]) => void;

/**
 * The listeners of a fixed set of events (`names`): `on` refuses an unknown name with a TypeError, `emit` calls a
 * snapshot of the listeners, each through {@link invoke}.
 */
export class Listeners<Events extends { [K in keyof Events]: Handler }> {
  readonly #sets = new Map<keyof Events, Set<Handler>>();

  constructor(names: readonly (keyof Events & string)[]) {
    for (const name of names) this.#sets.set(name, new Set());
  }

  on<K extends keyof Events>(event: K, listener: Events[K]): void {
    const listeners = this.#sets.get(event);
    if (listeners === undefined) throw new TypeError(`sockauth client: unknown event ${JSON.stringify(event)}`);
    listeners.add(listener);
  }

  off<K extends keyof Events>(event: K, listener: Events[K]): void {
    this.#sets.get(event)?.delete(listener);
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const listener of [...(this.#sets.get(event) ?? [])]) invoke(() => listener(...args));
  }

  clear(): void {
    for (const listeners of this.#sets.values()) listeners.clear();
  }
}
