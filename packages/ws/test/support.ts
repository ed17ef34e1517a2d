/**
 * Over-the-wire helpers of the ws adapter's suites: a real HTTP server on an ephemeral loopback port with a `ws`
 * server and sockauth attached, and real `ws` clients that record every frame and the close. Everything started
 * is closed by `cleanup()` (each spec runs it in `afterEach`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { createWsAuth, type WsAuth, type WsAuthOptions } from '../src/index';
import { closeAfterTest } from '@sockauth/testing';
import { deferred } from '../../../test/support/async';
import { hs256Verifier, nowSec } from '../../../test/support/tokens';

export interface WsTestServer {
  readonly wsAuth: WsAuth;
  readonly wss: WebSocketServer;
  readonly http: Server;
  /** `ws://127.0.0.1:<port>/ws` */
  readonly url: string;
  /** Requests as the application's own `'connection'` listener saw them (after sockauth's redaction). */
  readonly requests: IncomingMessage[];
}

/**
 * Starts HTTP + `ws` (`server` mode, path `/ws`) with sockauth attached: the HS256 test verifier and
 * `events: { whoami: null }` unless overridden; a `whoami` handler answering the context.
 */
export async function startWsServer(auth: Partial<WsAuthOptions> = {}): Promise<WsTestServer> {
  const http = createServer();
  const wsAuth = createWsAuth({ verifier: hs256Verifier(), events: { whoami: null }, ...auth });
  const wss = new WebSocketServer({ server: http, path: '/ws', ...wsAuth.serverOptions });
  wsAuth.attach(wss);
  const requests: IncomingMessage[] = [];
  wss.on('connection', (_ws, req) => requests.push(req));
  if (auth.envelope !== false) {
    wsAuth.on('whoami', (_data, { context }) => ({
      subject: context.subject,
      permissions: [...context.permissions].sort(),
      expiresAt: context.expiresAt,
      version: context.version,
    }));
  }
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  closeAfterTest(async () => {
    wsAuth.close();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  return { wsAuth, wss, http, url: `ws://127.0.0.1:${port}/ws`, requests };
}

export interface Frame {
  readonly type: string;
  readonly id?: string | number;
  readonly data?: unknown;
}

export interface CloseInfo {
  readonly code: number;
  /** The reason, parsed when it is JSON. */
  readonly reason: unknown;
  readonly rawReason: string;
}

/** A real `ws` client recording every frame and the close. */
export class TestClient {
  readonly ws: WebSocket;
  /** Every frame received, in order. */
  readonly frames: Frame[] = [];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<CloseInfo>;
  /** Resolves once open, or rejects if the upgrade failed (HTTP error). */
  readonly opened: Promise<void>;
  readonly #waiters: { readonly match: (frame: Frame) => boolean; readonly resolve: (frame: Frame) => void }[] = [];
  #nextId = 1;

  constructor(url: string, options: { protocols?: string[]; headers?: Record<string, string>; autoPong?: boolean } = {}) {
    this.ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {}, autoPong: options.autoPong ?? true });
    closeAfterTest(() => this.ws.terminate());
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => {
        const rawReason = reason.toString();
        let parsed: unknown = rawReason;
        try {
          parsed = JSON.parse(rawReason);
        } catch {
          // Not JSON: kept as text.
        }
        resolve({ code, reason: parsed, rawReason });
      }),
    );
    this.ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      const index = this.#waiters.findIndex((waiter) => waiter.match(frame));
      if (index !== -1) this.#waiters.splice(index, 1)[0]!.resolve(frame);
    });
  }

  /** The next frame matching `match` (frames already received count). */
  next(match: (frame: Frame) => boolean, seen = 0): Promise<Frame> {
    const found = this.frames.slice(seen).find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** The data of the next push of `type` received from now on. */
  async push<T = unknown>(type: string): Promise<T> {
    const frame = await this.next((f) => f.type === type, this.frames.length);
    return frame.data as T;
  }

  /** Sends `{ type, id, data }` and resolves with the ack's data. */
  async request<T = unknown>(type: string, data?: unknown): Promise<T> {
    const id = this.#nextId++;
    this.ws.send(JSON.stringify({ type, id, data }));
    const ack = await this.next((frame) => frame.type === 'ack' && frame.id === id);
    return ack.data as T;
  }

  /** Sends raw text or bytes. */
  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }
}

/** A client with the token in the `Authorization` header, once open. */
export async function connectWs(url: string, token: string): Promise<TestClient> {
  const client = new TestClient(url, { headers: { authorization: `Bearer ${token}` } });
  await client.opened;
  return client;
}

/** The close of a client that must be refused: the upgrade completes, then the server closes at once. */
export async function refusal(client: TestClient): Promise<CloseInfo & { readonly protocol: string; readonly frames: readonly Frame[] }> {
  await client.opened;
  const close = await client.closed;
  return { ...close, protocol: client.ws.protocol, frames: client.frames };
}

/**
 * A verifier whose verification waits for the test: `verifying` resolves once an upgrade is being verified, and
 * `release()` lets it complete (as alice, valid for a minute).
 */
export function gatedVerifier(): { verifier: WsAuthOptions['verifier']; verifying: Promise<void>; release: () => void } {
  const verifying = deferred();
  const released = deferred();
  return {
    verifier: {
      algorithms: ['HS256'],
      verify: async () => {
        verifying.resolve();
        await released.promise;
        return { sub: 'alice', exp: nowSec() + 60, iat: nowSec() };
      },
    },
    verifying: verifying.promise,
    release: () => released.resolve(),
  };
}
