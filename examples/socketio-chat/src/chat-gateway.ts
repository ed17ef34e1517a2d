import { randomUUID } from 'node:crypto';
import { deniedAck, isAuthError } from '@sockauth/core';
import type { SockAuth } from '@sockauth/socket.io';
import { BadRequest, MAX_MESSAGE_ID_LENGTH, MAX_TEXT_LENGTH, object, room, text } from '@sockauth/example-chat-common/chat-payloads';
import { RecentIds } from '@sockauth/example-chat-common/recent-ids';
import type { Server, Socket } from 'socket.io';

// What each event needs: shared by every demo (chat-common), re-exported under its old name.
export { CHAT_EVENTS } from '@sockauth/example-chat-common/chat-events';

type Ack = (response: unknown) => void;

/** Socket.IO passes the ack as the last argument, if the client asked for one. */
function split(args: unknown[]): { payload: unknown; ack: Ack | undefined } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as Ack) : undefined;
  return { payload: ack !== undefined && args.length === 1 ? undefined : args[0], ack };
}

/**
 * Registers the chat handlers on every connection of `io`'s main namespace. Handlers never throw: a malformed
 * payload is acked with {@link BadRequestAck}, and a missing ack is simply not called.
 */
export function installChatGateway(io: Server, auth: SockAuth, recent = new RecentIds()): { close(): void } {
  const on = (socket: Socket, event: string, handler: (payload: unknown, socket: Socket) => unknown): void => {
    socket.on(event, async (...args: unknown[]) => {
      const { payload, ack } = split(args);
      let response: unknown;
      try {
        response = await handler(payload, socket);
      } catch (error) {
        if (isAuthError(error)) {
          // A refusal sockauth decided (e.g. a join the room policy refuses): the denied ack, the socket stays.
          response = deniedAck(error);
        } else {
          if (!(error instanceof BadRequest)) {
            process.stderr.write(`chat: ${event} handler failed: ${(error as Error)?.name ?? 'error'}\n`);
          }
          const message = error instanceof BadRequest ? error.message : 'internal error';
          response = { ok: false, error: { code: error instanceof BadRequest ? 'BAD_REQUEST' : 'INTERNAL', message } };
        }
      }
      ack?.(response);
    });
  };

  /** The context in force; sockauth already refused the event if there is none, this only narrows the type. */
  const subjectOf = (socket: Socket): string => {
    const context = auth.contextOf(socket);
    if (context === undefined) throw new Error('no auth context');
    return context.subject;
  };

  const onConnection = (socket: Socket): void => {
    on(socket, 'whoami', () => {
      const context = auth.contextOf(socket);
      if (context === undefined) throw new Error('no auth context');
      return {
        subject: context.subject,
        permissions: context.permissions.toArray(),
        expiresAt: context.expiresAt,
        version: context.version,
      };
    });

    on(socket, 'chat:join', async (payload) => {
      // Through sockauth: the room policy and the context in force decide (AUTH_FORBIDDEN otherwise).
      await auth.join(socket, room(object(payload)['room']));
      return { ok: true };
    });

    on(socket, 'chat:send', (payload) => {
      const body = object(payload);
      const target = room(body['room']);
      const message = text(body['text'], 'text', MAX_TEXT_LENGTH);
      const id = body['id'] === undefined ? randomUUID() : text(body['id'], 'id', MAX_MESSAGE_ID_LENGTH);
      const from = subjectOf(socket);
      if (recent.remember(from, id)) {
        io.to(target).emit('chat:message', { room: target, text: message, from, id });
      }
      return { ok: true, id };
    });

    on(socket, 'admin:announce', (payload) => {
      io.emit('chat:announcement', { text: text(object(payload)['text'], 'text', MAX_TEXT_LENGTH) });
      return { ok: true };
    });
  };

  io.on('connection', onConnection);
  return {
    close() {
      io.off('connection', onConnection);
      recent.clear();
    },
  };
}
