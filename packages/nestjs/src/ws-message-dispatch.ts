import type { MessageMappingProperties } from '@nestjs/websockets';
import { badRequest } from '@sockauth/core';
import type { WsAuth } from '@sockauth/ws';
import type { Observable } from 'rxjs';
import type { WebSocket } from 'ws';

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
      if (typeof handler.message !== 'string') continue;
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
      return this.#run(ws, handler, client.transform, data, id !== undefined);
    });
  }

  #run(ws: WebSocket, handler: MessageMappingProperties, transform: ResultTransform, data: unknown, acked: boolean): Promise<unknown> {
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
          if ((!acked || settled) && isWsResponse(value)) this.#wsAuth.send(ws, value.event, value.data);
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
