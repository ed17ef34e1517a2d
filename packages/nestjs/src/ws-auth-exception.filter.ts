import { Catch, Inject, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { BaseWsExceptionFilter } from '@nestjs/websockets';
import { deniedAck, isAuthError } from '@sockauth/core';

/**
 * Turns sockauth errors thrown while handling a gateway message (by {@link WsAuthGuard}, or by your handler)
 * into the message's ack `{ error: { code, action, message } }`, as `@sockauth/socket.io` does; the socket stays
 * connected. A message sent without an ack gets no reply. Every other exception is handled exactly like Nest's
 * default (`BaseWsExceptionFilter`: an `exception` event).
 *
 * {@link SockAuthModule} adds it to every gateway as the lowest-priority filter, so you normally never register it.
 * Nest does not apply global filters to gateways; if it is nevertheless registered globally, HTTP exceptions are
 * passed to Nest's default HTTP handling unchanged.
 *
 * @example
 * ```ts
 * @UseFilters(WsAuthExceptionFilter) // only needed with `gatewayExceptionFilter: false`
 * @WebSocketGateway()
 * export class ChatGateway {}
 * ```
 */
@Catch()
export class WsAuthExceptionFilter extends BaseWsExceptionFilter implements ExceptionFilter {
  readonly #httpAdapterHost: HttpAdapterHost | undefined;

  constructor(@Optional() @Inject(HttpAdapterHost) httpAdapterHost?: HttpAdapterHost) {
    super();
    this.#httpAdapterHost = httpAdapterHost;
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const type = host.getType();
    if (type !== 'ws') return this.#notWs(exception, host, type);
    if (!isAuthError(exception)) return super.catch(exception, host);
    const ack = findAck(host.getArgs());
    if (ack === undefined) return;
    try {
      ack(deniedAck(exception));
    } catch {
      // An ack on a closed socket is a no-op in Socket.IO; nothing else may escape a filter.
    }
  }

  #notWs(exception: unknown, host: ArgumentsHost, type: string): void {
    const httpAdapter = this.#httpAdapterHost?.httpAdapter;
    if (type === 'http' && httpAdapter !== undefined) {
      return new BaseExceptionFilter(httpAdapter).catch(exception, host);
    }
    throw exception;
  }
}

/**
 * The ack of a gateway message. Nest calls handlers with `[client, data, ack?, pattern]`; the ack is the last
 * function after the client (data is never a function: a lone function argument is taken as the ack).
 */
export function findAck(args: readonly unknown[]): ((payload: unknown) => void) | undefined {
  for (let i = args.length - 1; i >= 1; i--) {
    const arg = args[i];
    if (typeof arg === 'function') return arg as (payload: unknown) => void;
  }
  return undefined;
}
