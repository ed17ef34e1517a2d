/**
 * The flawed chat (flawed-chat.ts) on plain WebSockets (`ws`, DEMO-CONTRACT.md "Plain WebSocket": the token in the
 * subprotocols or the Authorization header, `{ type, id?, data }` frames and acks, a refusal or a cut closed with a
 * code in 4000–4999 and the reason `{ code, action }`), in-process, for showing that the conformance suite catches
 * each flaw on this wire too. With no flaw it conforms. It deliberately does NOT use sockauth (only the documented
 * close-code table).
 */
import { createServer, type IncomingMessage } from 'node:http';
import { WS_CLOSE_CODES, type AuthErrorCode } from '@sockauth/core';
import type { TestIssuer } from '@sockauth/testing';
import { WebSocketServer, type WebSocket } from 'ws';
import { FlawedChat, type ChatPeer, type Flaw, type FlawedChatServer, type Refusal } from './flawed-chat';

const BEARER_PROTOCOL = 'sockauth.bearer.';

/** The token of an upgrade request: the `sockauth.bearer.<token>` subprotocol, else `Authorization: Bearer`. */
function tokenOf(request: IncomingMessage): string | undefined {
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
  const inProtocol = offered.find((protocol) => protocol.startsWith(BEARER_PROTOCOL))?.slice(BEARER_PROTOCOL.length);
  return inProtocol ?? /^Bearer (\S+)$/.exec(request.headers['authorization'] ?? '')?.[1];
}

/** A text frame as JSON, or `undefined` when it is not JSON (it has no id to answer then). */
function parseFrame(text: string): { type?: unknown; id?: unknown; data?: unknown } | undefined {
  try {
    return JSON.parse(text) as { type?: unknown; id?: unknown; data?: unknown } | undefined;
  } catch {
    return undefined;
  }
}

export async function startFlawedWsChatServer(issuer: TestIssuer, flaws: readonly Flaw[] = []): Promise<FlawedChatServer> {
  const chat = new FlawedChat(issuer, flaws);
  const http = createServer();
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) =>
      chat.has('token-echo') ? ([...protocols].find((protocol) => protocol.startsWith(BEARER_PROTOCOL)) ?? 'sockauth') : 'sockauth',
  });

  /** Closes with the code of the taxonomy and the `{ code, action }` reason (a cut, with the flaw: 1000, no reason). */
  const close = (ws: WebSocket, code: string, action: string, cut = true): void => {
    if (cut && chat.has('no-close-reason')) ws.close(1000);
    else ws.close(WS_CLOSE_CODES[code as AuthErrorCode], JSON.stringify({ code, action }));
  };

  /** Handles the frames of an accepted connection (attached before ws reads the first one). */
  const serve = (ws: WebSocket): ChatPeer => {
    const peer: ChatPeer = { push: (type, data) => ws.send(JSON.stringify({ type, data })), end: (code, action) => close(ws, code, action) };
    ws.on('message', (raw, isBinary) => {
      const frame = isBinary ? undefined : parseFrame(raw.toString());
      const id = typeof frame?.id === 'string' || typeof frame?.id === 'number' ? frame.id : undefined;
      const ack = (data: unknown): void => void (id !== undefined && ws.send(JSON.stringify({ type: 'ack', id, data })));
      if (typeof frame?.type !== 'string') ack({ error: { code: 'BAD_REQUEST', message: 'a frame needs a string "type"' } });
      else chat.handle(peer, frame.type, frame.data, ack);
    });
    ws.on('close', () => chat.drop(peer));
    return peer;
  };

  http.on('upgrade', (request, socket, head) => {
    const token = tokenOf(request);
    if (chat.has('pre-handshake-events')) {
      // The flaw: the upgrade is completed and frames are handled while the token is checked "in the background".
      wss.handleUpgrade(request, socket, head, (ws) => chat.acceptUnverified(serve(ws), token));
      return;
    }
    chat.verify(token).then(
      (claims) => wss.handleUpgrade(request, socket, head, (ws) => chat.accept(serve(ws), claims)),
      // A refusal completes the upgrade (a browser reads a close code, not an HTTP status) and closes at once.
      (error: Refusal) => wss.handleUpgrade(request, socket, head, (ws) => close(ws, error.code, error.action, false)),
    );
  });

  return chat.listen(http, async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
}
