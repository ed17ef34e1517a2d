/**
 * The flawed chat (flawed-chat.ts) on Socket.IO, in-process, for showing that the conformance suite catches each
 * flaw. With no flaw it conforms: the control run proves the suite passes a sound server, so a failure with a flaw
 * switched on is that flaw and nothing else. It deliberately does NOT use sockauth.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import type { TestIssuer } from '@sockauth/testing';
import { FlawedChat, type ChatPeer, type Flaw, type FlawedChatServer, type Refusal } from './flawed-chat';

export type { Flaw, FlawedChatServer } from './flawed-chat';

type Ack = (response: unknown) => void;

export async function startFlawedChatServer(issuer: TestIssuer, flaws: readonly Flaw[] = []): Promise<FlawedChatServer> {
  const chat = new FlawedChat(issuer, flaws);
  const http = createServer();
  const io = new Server(http);

  if (!chat.has('pre-handshake-events')) {
    io.use((socket, next) => {
      chat.verify(socket.handshake.auth['token']).then(
        (claims) => {
          socket.data.claims = claims;
          next();
        },
        (error: Refusal) => next(Object.assign(new Error(error.code), { data: { code: error.code, action: error.action } })),
      );
    });
  }

  io.on('connection', (socket) => {
    const peer: ChatPeer = {
      push: (event, data) => void socket.emit(event, data),
      end: () => void socket.disconnect(true),
    };
    socket.onAny((event: string, ...args: unknown[]) => {
      const ack = (typeof args.at(-1) === 'function' ? args.pop() : () => undefined) as Ack;
      chat.handle(peer, event, args[0], ack);
    });
    socket.on('disconnect', () => chat.drop(peer));
    if (chat.has('pre-handshake-events')) chat.acceptUnverified(peer, socket.handshake.auth['token']);
    else chat.accept(peer, socket.data.claims);
  });

  return chat.listen(http, () => new Promise<void>((resolve) => io.close(() => resolve())));
}
