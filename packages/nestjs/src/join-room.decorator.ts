import { Injectable, UseInterceptors, applyDecorators, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthUnavailableError } from '@sockauth/core';
import type { Observable } from 'rxjs';
import type { Socket } from 'socket.io';
import { JOIN_ROOM_KEY } from './sockauth.constants.js';
import { serviceOfSocket } from './sockauth.service.js';

/** Picks the room to join from a message's data (`@MessageBody()`). */
export type RoomSelector = (data: unknown) => unknown;

/**
 * The metadata behind {@link JoinRoom}: the handler's room selector, for interceptors or guards of your own.
 *
 * @example
 * ```ts
 * const select = reflector.get(JoinRoomMetadata, context.getHandler());
 * ```
 */
export const JoinRoomMetadata = Reflector.createDecorator<RoomSelector>({ key: JOIN_ROOM_KEY });

const defaultSelector: RoomSelector = (data) => (typeof data === 'object' && data !== null ? (data as { room?: unknown }).room : undefined);

/**
 * Joins the room {@link JoinRoom} names before its handler runs, through `SockAuthService.join` (the module's room
 * policy and the `authorize` veto, with the context in force). A refusal is thrown as the `AuthError`, which the
 * module's exception filter acks `{ error: { code, action, message } }`; the handler does not run.
 */
@Injectable()
export class JoinRoomInterceptor implements NestInterceptor {
  readonly #reflector = new Reflector();

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const select = this.#reflector.get(JoinRoomMetadata, context.getHandler());
    if (select !== undefined) {
      const ws = context.switchToWs();
      const socket = ws.getClient<Socket>();
      const service = serviceOfSocket(socket);
      // Not a socket of a server SockAuthModule attached: nothing can decide, so nothing is joined.
      if (service === undefined) throw new AuthUnavailableError('no sockauth service for this socket');
      await service.join(socket, select(ws.getData()) as string);
    }
    return next.handle();
  }
}

/**
 * The handler joins a room through sockauth before it runs: the room (by default the message's `room` field; pass
 * a selector for another shape) is decided by the module's `rooms` policy and the `authorize` veto with the context
 * in force. Refused: the message is acked `{ error: { code: 'AUTH_FORBIDDEN', action: 'none', message } }`, the
 * handler does not run, the socket stays. After every change of the socket's context the rooms it may no longer be
 * in are left (`auth:room-left`); sockauth never rejoins.
 *
 * @example
 * ```ts
 * @SubscribeMessage('chat:join')
 * @JoinRoom() // or @JoinRoom((body) => (body as { channel: string }).channel)
 * join(@MessageBody('room') room: string) {
 *   return { ok: true, room };
 * }
 * ```
 */
export function JoinRoom(select: RoomSelector = defaultSelector): MethodDecorator {
  if (typeof select !== 'function') throw new TypeError('@JoinRoom(): the room selector must be a function');
  return applyDecorators(JoinRoomMetadata(select), UseInterceptors(JoinRoomInterceptor));
}
