import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import {
  BadRequest,
  MAX_MESSAGE_ID_LENGTH,
  MAX_TEXT_LENGTH,
  object,
  room,
  text,
  type BadRequestAck,
} from '@sockauth/example-chat-common/chat-payloads';
import type { RecentIds } from '@sockauth/example-chat-common/recent-ids';
import { AuthUser, RequirePermissions, SockAuthContext, SockAuthService, type AuthContext } from '@sockauth/nestjs';
import type { Server, Socket } from 'socket.io';
import { RECENT_IDS } from './tokens.js';


/**
 * Runs a handler body; a malformed payload becomes a `BAD_REQUEST` ack (the socket stays), anything else an
 * `INTERNAL` one, as in the Socket.IO example. Authentication and permission failures never get here: the
 * module refuses them before Nest runs the handler, with `AUTH_*` acks.
 */
function respond<T>(handler: () => T): T | BadRequestAck | { ok: false; error: { code: 'INTERNAL'; message: string } } {
  try {
    return handler();
  } catch (error) {
    if (error instanceof BadRequest) return { ok: false, error: { code: 'BAD_REQUEST', message: error.message } };
    process.stderr.write(`chat: handler failed: ${(error as Error)?.name ?? 'error'}\n`);
    return { ok: false, error: { code: 'INTERNAL', message: 'internal error' } };
  }
}

/**
 * The chat (DEMO-CONTRACT "Socket.IO"), as a Nest gateway. The handshake was authenticated by the
 * `SockAuthIoAdapter` the module installed; the module checks each handler's `@RequirePermissions()` against the
 * context in force when the message is handled (no guard needed); `auth:refresh`, expiry and revocation are
 * handled by sockauth before any of this code runs.
 */
@WebSocketGateway()
export class ChatGateway {
  @WebSocketServer()
  private readonly server!: Server;

  constructor(
    @Inject(RECENT_IDS) private readonly recent: RecentIds,
    @Inject(SockAuthService) private readonly sockAuth: SockAuthService,
  ) {}

  @SubscribeMessage('whoami')
  whoami(@SockAuthContext() context: AuthContext) {
    return {
      subject: context.subject,
      permissions: context.permissions.toArray(),
      expiresAt: context.expiresAt,
      version: context.version,
    };
  }

  /**
   * Joins through sockauth's room policy (`CHAT_ROOMS`: every room needs `chat:read`, `staff-` rooms `chat:admin`
   * too). A refusal rejects with `AUTH_FORBIDDEN`, which the module's exception filter acks; the socket stays.
   */
  @RequirePermissions('chat:read')
  @SubscribeMessage('chat:join')
  async join(@ConnectedSocket() socket: Socket, @MessageBody() payload: unknown) {
    const checked = respond(() => room(object(payload)['room']));
    if (typeof checked !== 'string') return checked;
    await this.sockAuth.join(socket, checked);
    return { ok: true };
  }

  @RequirePermissions('chat:write')
  @SubscribeMessage('chat:send')
  send(@AuthUser('subject') from: string, @MessageBody() payload: unknown) {
    return respond(() => {
      const body = object(payload);
      const target = room(body['room']);
      const message = text(body['text'], 'text', MAX_TEXT_LENGTH);
      const id = body['id'] === undefined ? randomUUID() : text(body['id'], 'id', MAX_MESSAGE_ID_LENGTH);
      // A repeated id from the same subject within the window is acked again but not re-broadcast.
      if (this.recent.remember(from, id)) {
        this.server.to(target).emit('chat:message', { room: target, text: message, from, id });
      }
      return { ok: true, id };
    });
  }

  @RequirePermissions('chat:admin')
  @SubscribeMessage('admin:announce')
  announce(@MessageBody() payload: unknown) {
    return respond(() => {
      this.server.emit('chat:announcement', { text: text(object(payload)['text'], 'text', MAX_TEXT_LENGTH) });
      return { ok: true };
    });
  }
}
