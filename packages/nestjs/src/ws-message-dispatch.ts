import type { MessageMappingProperties } from '@nestjs/websockets';
import { REFRESH_EVENT, badRequest, decodeFrame, deniedAck, encodeAck, encodeFrame, isAuthError, type AuthError } from '@sockauth/core';
import type { WsAuth } from '@sockauth/ws';
import type { Observable } from 'rxjs';
import type { RawData, WebSocket } from 'ws';

/** Nest's `transform` of a handler's result (a value, a promise or an observable) into an observable. */
export type ResultTransform = (result: unknown) => Observable<unknown>;

interface ClientHandlers {
  readonly handlers: ReadonlyMap<string, MessageMappingProperties>;
  readonly transform: ResultTransform;
}

/**
 * Nest's message handlers of each `ws` client, run from sockauth's envelope: `@sockauth/ws` decodes each
 * `{ type, id?, data }` frame and runs the session's checks and the decorators' gate; a message that passed reaches
 * the handler Nest bound for its client and `type`, and the handler's result is the message's ack.
 *
 * - Nest calls the handler with `(data, ack)`: `@MessageBody()` is `data`, `@Ack()` is `ack` (then the handler
 *   acks itself), and `WsAuthExceptionFilter` acks a sockauth error thrown in Nest's pipeline (`WsAuthGuard`'s
 *   refusals) with `{ error: { code, action, message } }`, as on Socket.IO.
 * - Otherwise the first value the handler produces is the ack. Without an `id` nothing is acked; a produced
 *   `{ event, data }` (Nest's `WsResponse`) is pushed as `{ type: event, data }`, as Nest's `WsAdapter` sends it.
 * - A type with no handler on the client's server is acked `BAD_REQUEST` (when it has an `id`).
 *
 * Clients of a `@Public()` gateway's server have no session: {@link bindUnauthenticated} reads their frames
 * (the same envelope, decoded by core) and refuses what needs a context before Nest's handler runs.
 */
export class WsMessageDispatch {
  readonly #wsAuth: WsAuth;
  readonly #clients = new WeakMap<WebSocket, ClientHandlers>();
  readonly #types = new Set<string>();

  constructor(wsAuth: WsAuth) {
    this.#wsAuth = wsAuth;
  }

  /** Binds `client`'s handlers (what `WsAdapter.bindMessageHandlers` receives). */
  bind(client: WebSocket, handlers: readonly MessageMappingProperties[], transform: ResultTransform): void {
    const byType = new Map<string, MessageMappingProperties>();
    for (const handler of handlers) {
      // auth:refresh never reaches a handler (the session answers it); the platform refuses such gateways at start-up.
      if (typeof handler.message !== 'string' || handler.message === REFRESH_EVENT) continue;
      byType.set(handler.message, handler);
      this.#listen(handler.message);
    }
    this.#clients.set(client, { handlers: byType, transform });
  }

  /** One `wsAuth.on` per type, shared by every client: it finds the client's own handler. */
  #listen(type: string): void {
    if (this.#types.has(type)) return;
    this.#types.add(type);
    this.#wsAuth.on(type, (data, { ws, id }) => {
      const client = this.#clients.get(ws);
      const handler = client?.handlers.get(type);
      if (client === undefined || handler === undefined) return badRequest('no handler for this type');
      const push = (event: string, payload: unknown) => void this.#wsAuth.send(ws, event, payload);
      return this.#run(handler, client.transform, data, id !== undefined, push);
    });
  }

  /**
   * Binds the handlers of `client`, a client of an unauthenticated server: each `{ type, id?, data }` frame is
   * checked with `refuse` (a requirement no context can meet: `AUTH_MISSING`), then run as above. A malformed frame
   * is acked `BAD_REQUEST` when its id can be read; a handler's `AuthError` is acked `{ error }`; anything else it
   * throws stays on the server (Nest's exception filters saw it).
   */
  bindUnauthenticated(
    client: WebSocket,
    handlers: readonly MessageMappingProperties[],
    transform: ResultTransform,
    refuse: (type: string) => AuthError | undefined,
  ): void {
    const byType = new Map<string, MessageMappingProperties>();
    for (const handler of handlers) if (typeof handler.message === 'string') byType.set(handler.message, handler);
    const send = (text: string): void => {
      if (client.readyState === client.OPEN) client.send(text);
    };
    const push = (event: string, payload: unknown): void => send(encodeFrame(event, payload));
    client.on('message', (raw: RawData, isBinary: boolean) => {
      const frame = decodeFrame(textOf(raw), isBinary);
      if (!frame.ok) {
        if (frame.id !== undefined) send(encodeAck(frame.id, badRequest(frame.message)));
        return;
      }
      const { type, id, data } = frame.envelope;
      const ack = (value: unknown): void => {
        if (id !== undefined) send(encodeAck(id, value === undefined ? null : value));
      };
      const refusal = refuse(type);
      if (refusal !== undefined) return ack(deniedAck(refusal));
      const handler = byType.get(type);
      if (handler === undefined) return ack(badRequest('no handler for this type'));
      this.#run(handler, transform, data, id !== undefined, push).then(ack, (error: unknown) => {
        if (isAuthError(error)) ack(deniedAck(error));
      });
    });
  }

  #run(
    handler: MessageMappingProperties,
    transform: ResultTransform,
    data: unknown,
    acked: boolean,
    push: (event: string, data: unknown) => void,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const ack = (payload?: unknown): void => {
        if (settled) return;
        settled = true;
        resolve(payload);
      };
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      let results: Observable<unknown>;
      try {
        results = transform(handler.callback(data, ack));
      } catch (error) {
        return fail(error);
      }
      const manual = handler.isAckHandledManually === true;
      results.subscribe({
        next: (value) => {
          if ((!acked || settled) && isWsResponse(value)) push(value.event, value.data);
          if (!manual) ack(value);
        },
        error: fail,
        complete: () => {
          if (!manual) ack(undefined);
        },
      });
    });
  }
}

function isWsResponse(value: unknown): value is { event: string; data: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { event?: unknown }).event === 'string' && 'data' in value;
}

/** A frame as `ws` delivers it (a `Buffer`, fragments, or an `ArrayBuffer`), as text. */
function textOf(raw: RawData): string {
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  return (Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw)).toString('utf8');
}
