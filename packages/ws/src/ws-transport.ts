import {
  ERROR_EVENT,
  closeCodeFor,
  closeReason,
  encodeAck,
  encodeFrame,
  type AuthError,
  type AuthorizeArgs,
  type EnvelopeId,
  type SessionTransport,
} from '@sockauth/core';
import { WebSocket } from 'ws';
import type { RoomIndex } from './room-index.js';
import type { WsConnection } from './ws-connection.js';

/** One inbound message, as the session sees it. */
export interface WsMessage {
  readonly type: string;
  readonly id: EnvelopeId | undefined;
  readonly data: unknown;
  /** Where the reply goes for {@link WsAuth.check} (an app's own protocol); else the ack frame, when `id` is set. */
  readonly respond?: (payload: unknown) => void;
}

/** Sends a text frame if the socket is open (a frame for a closing socket is dropped, never an error). */
export function sendText(ws: WebSocket | undefined, text: string): boolean {
  if (ws === undefined || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(text);
  return true;
}

/**
 * Closes `ws` with the close code of `error` and the `{code,action}` reason: a refused upgrade, a cut, a shutdown.
 * Browsers read the code and reason of the close event; they never see the HTTP status of an upgrade.
 */
export function closeWith(ws: WebSocket, error: AuthError): void {
  if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return;
  ws.close(closeCodeFor(error.code), closeReason(error));
}

/**
 * The session's view of `ws` connections: pushes and acks are envelope frames, a cut is `auth:error` then a close
 * with the taxonomy's close code, rooms are the adapter's own index.
 */
export function wsTransport(rooms: RoomIndex<WsConnection>): SessionTransport<WsConnection, WsMessage> {
  return {
    describe: (connection) => ({ socketId: connection.id, namespace: connection.path }),
    handshakeUrl: (connection) => connection.url,
    isOpen: (connection) => connection.ws?.readyState === WebSocket.OPEN,
    send: (connection, event, payload) => {
      sendText(connection.ws, encodeFrame(event, payload));
    },
    cut: (connection, error) => {
      // Out of every room first: from now on nothing sent to them reaches the connection.
      rooms.leaveAll(connection);
      const ws = connection.ws;
      if (ws === undefined) return;
      sendText(ws, encodeFrame(ERROR_EVENT, error.toJSON()));
      closeWith(ws, error);
    },
    reply: (connection, message, payload) => {
      if (message.respond !== undefined) message.respond(payload);
      else if (message.id !== undefined) sendText(connection.ws, encodeAck(message.id, payload));
    },
    args: (message): AuthorizeArgs => [message.data],
    rooms: (connection) => rooms.roomsOf(connection),
    join: (connection, room) => rooms.join(connection, room),
    leave: (connection, room) => rooms.leave(connection, room),
  };
}
