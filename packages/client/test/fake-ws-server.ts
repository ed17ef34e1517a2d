import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BEARER_SUBPROTOCOL_PREFIX, SUBPROTOCOL } from '@sockauth/core/protocol';
import { closeAfterTest } from '@sockauth/testing';
import { WebSocketServer, type WebSocket } from 'ws';

/** What the fake server saw of one connection attempt. */
export interface Handshake {
  readonly token: string | undefined;
  readonly protocols: string[];
  readonly authorization: string | undefined;
  /** The subprotocol the server selected. */
  readonly selected: string | false;
}

/** One client → server frame, with what the test answers. */
export interface Received {
  readonly type: string;
  readonly id: unknown;
  readonly data: unknown;
  readonly socket: WebSocket;
}

/** The verdict on a handshake: accept, or refuse with a sockauth close. */
export type Verdict = 'accept' | { readonly close: number; readonly code: string; readonly action: string };

/**
 * A tiny server speaking sockauth's plain-WebSocket protocol (DEMO-CONTRACT "Plain WebSocket") on a real `ws`
 * server on a free loopback port, so the client is tested over the wire before `@sockauth/ws` exists: the token
 * from the subprotocols or the Authorization header, `sockauth` selected, refusals as a completed upgrade closed at
 * once with 4000–4999 and the JSON reason, a frame without a type acked BAD_REQUEST, `{ type, id, data }` frames
 * answered by the test. `silent`: accepted connections answer nothing at all (a server that does not speak sockauth).
 */
export class FakeWsServer {
  readonly handshakes: Handshake[] = [];
  readonly received: Received[] = [];
  /** Open server-side sockets, most recent last. */
  readonly sockets: WebSocket[] = [];
  verdict: (handshake: Handshake) => Verdict = () => 'accept';
  /** Answers a frame with an id; `undefined`: no ack (the client times out). */
  answer: (frame: Received) => unknown = (frame) => ({ echo: frame.data });
  silent = false;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #waiters: Array<() => void> = [];

  private constructor(http: Server, readonly url: string) {
    this.#http = http;
    this.#wss = new WebSocketServer({
      server: http,
      path: '/ws',
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.#wss.on('connection', (socket, request) => this.#onConnection(socket, request));
  }

  static async start(): Promise<FakeWsServer> {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const server = new FakeWsServer(http, `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`);
    closeAfterTest(() => server.close());
    return server;
  }

  /** Resolves once `check()` holds, re-checked after every handshake, frame and close. */
  until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('fake ws server: condition not met in time')), timeoutMs);
      const test = (): void => {
        if (!check()) return void this.#waiters.push(test);
        clearTimeout(timer);
        resolve();
      };
      test();
    });
  }

  /** Frames of `type` received so far. */
  frames(type: string): Received[] {
    return this.received.filter((frame) => frame.type === type);
  }

  /** A push `{ type, data }` to the latest connection. */
  push(type: string, data: unknown): void {
    this.sockets[this.sockets.length - 1]!.send(JSON.stringify({ type, data }));
  }

  /** Sends a raw text frame to the latest connection. */
  raw(text: string): void {
    this.sockets[this.sockets.length - 1]!.send(text);
  }

  /** `auth:error`, then a close with the sockauth code and JSON reason (a cut for expiry or revocation). */
  cut(close: number, code: string, action: string): void {
    const socket = this.sockets[this.sockets.length - 1]!;
    socket.send(JSON.stringify({ type: 'auth:error', data: { code, action, message: `cut: ${code}` } }));
    socket.close(close, JSON.stringify({ code, action }));
  }

  async close(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #onConnection(socket: WebSocket, request: IncomingMessage): void {
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const bearer = offered.find((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX));
    const authorization = request.headers['authorization'];
    const handshake: Handshake = {
      token: bearer?.slice(BEARER_SUBPROTOCOL_PREFIX.length) ?? /^Bearer (.+)$/.exec(authorization ?? '')?.[1],
      protocols: offered,
      authorization,
      selected: socket.protocol === '' ? false : socket.protocol,
    };
    this.handshakes.push(handshake);
    const verdict = this.verdict(handshake);
    if (verdict !== 'accept') {
      socket.close(verdict.close, JSON.stringify({ code: verdict.code, action: verdict.action }));
      return this.#changed();
    }
    this.sockets.push(socket);
    socket.on('message', (data, isBinary) => {
      if (isBinary || this.silent) return;
      const frame = JSON.parse(data.toString()) as { type: string; id?: unknown; data?: unknown };
      // Not a message (no string type): BAD_REQUEST when it has an id, as @sockauth/ws answers (the client's probe).
      if (typeof frame.type !== 'string') {
        if (frame.id !== undefined) socket.send(JSON.stringify({ type: 'ack', id: frame.id, data: { error: { code: 'BAD_REQUEST', action: 'none', message: 'no type' } } }));
        return;
      }
      const received: Received = { type: frame.type, id: frame.id, data: frame.data, socket };
      this.received.push(received);
      if (frame.id !== undefined) {
        const response = this.answer(received);
        if (response !== undefined) socket.send(JSON.stringify({ type: 'ack', id: frame.id, data: response }));
      }
      this.#changed();
    });
    socket.on('close', () => this.#changed());
    this.#changed();
  }

  #changed(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}
