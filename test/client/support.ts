import { connect as connectTcp, createServer, type Server as NetServer, type Socket as NetSocket } from 'node:net';
import {
  createAuthClient,
  createWebSocketAuthClient,
  type AuthClient,
  type AuthClientBase,
  type AuthClientOptions,
  type AuthClientState,
  type WebSocketAuthClient,
  type WebSocketAuthClientOptions,
} from '@sockauth/client';
import { WebSocket } from 'ws';
import { createChatServer, type ChatServer } from '../../examples/socketio-chat/src/app';
import { createChatServer as createWsChatServer, type ChatServer as WsChatServer } from '../../examples/ws-chat/src/app';
import { loadConfig } from '../../examples/chat-common/src/config';
import { closeAfterTest } from '@sockauth/testing';

export const SECRET = 'sockauth-client-integration-secret-0123456789';

/** The real demo chat, in process, on a free loopback port; closed after each test. */
export async function startChat(env: Record<string, string> = {}): Promise<ChatServer> {
  const server = await createChatServer(
    loadConfig({ PORT: '0', HOST: '127.0.0.1', JWT_SECRET: SECRET, CLOCK_TOLERANCE_SEC: '0', WARN_BEFORE_SEC: '1', ...env }),
  );
  closeAfterTest(() => server.close());
  return server;
}

/** The real demo chat on plain WebSockets (examples/ws-chat), in process, on a free loopback port; closed after each test. */
export async function startWsChat(env: Record<string, string> = {}): Promise<WsChatServer> {
  const server = await createWsChatServer(
    loadConfig({ PORT: '0', HOST: '127.0.0.1', JWT_SECRET: SECRET, CLOCK_TOLERANCE_SEC: '0', WARN_BEFORE_SEC: '1', ...env }),
  );
  closeAfterTest(() => server.close());
  return server;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

/**
 * A browser-like session against the demo's identity provider: `POST /auth/login`, then `POST /auth/refresh`
 * (rotating refresh tokens) from the client's `refresh()`. A 401 is thrown as its `{ code, message }` body, which
 * the client maps onto the taxonomy.
 */
export class Session {
  tokens: TokenSet | undefined;
  refreshes = 0;

  constructor(readonly url: string) {}

  async login(user: string, options: { ttlSec?: number; scopes?: string[] } = {}): Promise<TokenSet> {
    const { status, body } = await postJson(`${this.url}/auth/login`, {
      user,
      ttlSec: options.ttlSec ?? 60,
      scopes: options.scopes ?? ['chat:read', 'chat:write'],
    });
    if (status !== 200) throw new Error(`login answered ${status}`);
    return (this.tokens = body as TokenSet);
  }

  readonly getToken = (): string | undefined => this.tokens?.accessToken;

  readonly refresh = async (): Promise<{ token: string; expiresAt: number }> => {
    this.refreshes++;
    const { status, body } = await postJson(`${this.url}/auth/refresh`, { refreshToken: this.tokens?.refreshToken });
    if (status !== 200) throw body.error;
    this.tokens = body as TokenSet;
    return { token: this.tokens.accessToken, expiresAt: this.tokens.expiresAt };
  };
}

/** An AuthClient over websocket only (fast in Node), closed after each test. */
export function authClient(url: string, session: Session, options: Partial<AuthClientOptions> = {}): AuthClient {
  const client = createAuthClient({
    url,
    io: { transports: ['websocket'] },
    getToken: session.getToken,
    refresh: session.refresh,
    ...options,
  });
  closeAfterTest(() => client.close());
  return client;
}

/** A WebSocketAuthClient over the `ws` package (Node 20 has no global WebSocket), closed after each test. */
export function wsAuthClient(url: string, session: Session, options: Partial<WebSocketAuthClientOptions> = {}): WebSocketAuthClient {
  const client = createWebSocketAuthClient({ url, WebSocket, getToken: session.getToken, refresh: session.refresh, ...options });
  closeAfterTest(() => client.close());
  return client;
}

/** Resolves once the client reaches `state` (at once if it is there); rejects after `timeoutMs`. */
export function reach(client: AuthClientBase, state: AuthClientState, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    let unsubscribe: (() => void) | undefined;
    const timer = setTimeout(() => finish(new Error(`state ${client.state}, expected ${state} within ${timeoutMs} ms`)), timeoutMs);
    function finish(error?: Error): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe?.();
      if (error) reject(error);
      else resolve();
    }
    unsubscribe = client.subscribe((status) => {
      if (status.state === state) finish();
    });
    if (done) unsubscribe();
  });
}

/** Records every state the client goes through. */
export function recordStates(client: AuthClientBase): AuthClientState[] {
  const states: AuthClientState[] = [];
  client.subscribe(({ state }) => {
    if (states[states.length - 1] !== state) states.push(state);
  });
  return states;
}

/**
 * A TCP proxy in front of the server, so a test can take "the server" down the hard way (connections reset,
 * port closed, as in a crash or a network cut) and bring it back on the same port.
 */
export class TcpProxy {
  #server: NetServer | undefined;
  readonly #connections = new Set<NetSocket>();
  port = 0;

  constructor(readonly targetPort: number) {
    closeAfterTest(() => this.down());
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts listening: on a free port the first time, on the same port afterwards. */
  async up(): Promise<this> {
    const server = createServer((client) => {
      const upstream = connectTcp(this.targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.#connections.add(socket);
        socket.once('close', () => this.#connections.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
    return this;
  }

  /** Stops listening and resets every connection. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#connections) socket.destroy();
    this.#connections.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
