/**
 * The demo page, whatever the transport: log in through the demo identity provider, connect with
 * @sockauth/client, join, send, and watch the token being refreshed in band (same socket id, version + 1) — or the
 * session being cut, with the reason. Each flavour's entry (`app.ts` for Socket.IO, `ws-app.ts` for plain
 * WebSockets) only says how to create the client and listen to the server's events; ../src/page.ts bundles it for
 * the browser (esbuild, in memory at server start).
 *
 * Tokens live in memory only (never localStorage). Everything user-provided is rendered with textContent.
 */
// The entry without socket.io-client: what both flavours share (the Socket.IO page adds it through app.ts).
import { isAuthError, type AuthClientBase, type AuthClientBaseOptions, type AuthClientStatus } from '@sockauth/client/websocket';

interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresAt: number;
}

interface ChatMessage {
  readonly room: string;
  readonly text: string;
  readonly from: string;
  readonly id: string;
}

/** Server → client events of the demo. */
export interface ServerEvents {
  'chat:message': (message: ChatMessage) => void;
  'chat:announcement': (announcement: { text: string }) => void;
  'auth:expiring': (warning: { expiresAt: number; inMs: number }) => void;
  'auth:error': (error: { code: string; action: string; message: string }) => void;
}

type Denied = { readonly ok?: false; readonly error: { readonly code: string; readonly message: string } };

/** Client → server events of the demo (DEMO-CONTRACT.md). */
export interface ClientEvents {
  whoami: (ack: (me: { subject: string; permissions: string[]; expiresAt: number; version: number }) => void) => void;
  'chat:join': (body: { room: string }, ack: (result: { ok: true } | Denied) => void) => void;
  'chat:send': (body: { room: string; text: string; id?: string }, ack: (result: { ok: true; id: string } | Denied) => void) => void;
}

/** What the browser test (and a curious developer, in the console) can read. */
interface DemoProbe {
  readonly status: AuthClientStatus | undefined;
  /** Socket ids of every `connect`, in order: one entry means no reconnection happened. */
  readonly connects: string[];
  /** Versions reported by `refreshed`, in order. */
  readonly refreshes: number[];
  /** Codes of every `unauthenticated` event. */
  readonly unauthenticated: string[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the page`);
  return element as T;
};
const input = (id: string): HTMLInputElement => $<HTMLInputElement>(id);

/** A connected client of one flavour, and how to listen to the server's events on it. */
export interface PageClient {
  readonly client: AuthClientBase<ClientEvents>;
  listen<E extends keyof ServerEvents>(event: E, listener: ServerEvents[E]): void;
}

/** Creates a client of one flavour (Socket.IO, plain WebSocket) on the page's origin. */
export type CreatePageClient = (options: AuthClientBaseOptions) => PageClient;

let session: TokenSet | undefined;
let client: AuthClientBase<ClientEvents> | undefined;
let createClient: CreatePageClient;
const probe = { status: undefined as AuthClientStatus | undefined, connects: [] as string[], refreshes: [] as number[], unauthenticated: [] as string[] };
(window as unknown as { sockauthDemo: DemoProbe }).sockauthDemo = probe;

function log(text: string, kind?: 'sys' | 'err' | 'ann', from?: string): void {
  const item = document.createElement('li');
  if (kind !== undefined) item.className = kind;
  if (from !== undefined) {
    const who = document.createElement('span');
    who.className = 'from';
    who.textContent = from;
    item.append(who);
  }
  item.append(document.createTextNode(text));
  const list = $('log');
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

const time = (ms: number | undefined): string => (ms === undefined ? '—' : new Date(ms).toLocaleTimeString());
function describe(error: unknown): string {
  if (isAuthError(error)) return `${error.code}: ${error.message}`;
  if (error instanceof HttpError) return `${error.code ?? `HTTP ${error.status}`}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

async function post(path: string, body: unknown): Promise<TokenSet> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } } & Partial<TokenSet>;
  if (!response.ok) throw new HttpError(response.status, data.error?.code, data.error?.message ?? response.statusText);
  return data as TokenSet;
}

// --- status panel ----------------------------------------------------------------------------------------------

function render(status: AuthClientStatus | undefined): void {
  probe.status = status;
  const state = status?.state ?? 'logged out';
  const panel = $('status');
  panel.dataset['state'] = state;
  panel.className = { authenticated: 'ok', refreshing: 'ok', connecting: 'warn', expired: 'warn' }[state as string] ?? 'err';
  $('state').textContent = state;
  $('socket-id').textContent = status?.socketId ?? '—';
  $('version').textContent = status?.version === undefined ? '—' : String(status.version);
  $('expires').textContent = time(status?.expiresAt);
  $('refresh-at').textContent = time(status?.refreshAt);
  $('retry').textContent = status?.retryAt === undefined ? '—' : `attempt ${status.attempt} at ${time(status.retryAt)}`;
  $('clock').textContent = status === undefined ? '—' : `${status.clockOffsetMs} ms (${status.clockSource})`;
  $('reason').textContent = status?.error === undefined ? '—' : `${status.error.code}: ${status.error.message} (action: ${status.error.action})`;
  const prompt = $('login-prompt');
  prompt.hidden = state !== 'unauthenticated' && state !== 'disconnected';
  if (!prompt.hidden) {
    $('login-reason').textContent =
      status?.error === undefined ? 'You are disconnected.' : `Your session ended (${status.error.code}: ${status.error.message}).`;
  }
}

// Countdown to expiry on the server's clock, so the warning → refresh → (cut) sequence is visible.
setInterval(() => {
  const status = client?.status;
  if (status?.expiresAt === undefined || status.state === 'unauthenticated' || status.state === 'closed') {
    $('countdown').textContent = '';
    return;
  }
  const left = Math.max(0, Math.round((status.expiresAt - (Date.now() + status.clockOffsetMs)) / 1000));
  $('countdown').textContent = `(in ${left} s)`;
}, 500);

// --- connecting ------------------------------------------------------------------------------------------------

function start(autoRefresh: boolean): void {
  client?.close();
  const { client: next, listen } = createClient({
    getToken: () => session?.accessToken,
    // Over HTTPS to the identity provider, never over the socket. The refresh token rotates.
    refresh: async () => {
      if (session === undefined) throw { code: 'AUTH_MISSING', message: 'not logged in' };
      session = await post('/auth/refresh', { refreshToken: session.refreshToken }).catch((error: unknown) => {
        // 401 with a sockauth code (AUTH_REVOKED for a reused token, AUTH_EXPIRED…): let the client decide.
        if (error instanceof HttpError && error.status === 401) throw { code: error.code ?? 'AUTH_INVALID', message: error.message };
        throw error;
      });
      log(`new access token from POST /auth/refresh, expires ${time(session.expiresAt)}`, 'sys');
      return { token: session.accessToken, expiresAt: session.expiresAt };
    },
    // Demo tokens are short: refresh somewhere between 20 s and 5 s before expiry (scaled down for shorter ones).
    refreshWindow: { startSec: 20, endSec: 5 },
    autoRefresh,
  });
  client = next;
  // Connections and disconnections, from the status (the same for every transport): the socket id changes.
  let socketId: string | undefined;
  next.subscribe((status) => {
    render(status);
    if (status.socketId === socketId) return;
    const previous = socketId;
    socketId = status.socketId;
    if (previous !== undefined) log(`disconnected (${status.disconnectReason ?? status.state})`, 'sys');
    if (socketId === undefined) return;
    probe.connects.push(socketId);
    log(`connected (socket ${socketId})`, 'sys');
    next.emitWithAck('whoami').then(
      (me) => log(`whoami: ${me.subject} [${me.permissions.join(', ')}] version ${me.version}`, 'sys'),
      (error: unknown) => log(`whoami failed: ${describe(error)}`, 'err'),
    );
  });
  next.on('refreshed', ({ version, expiresAt }) => {
    probe.refreshes.push(version);
    log(`re-authenticated in band: same socket ${next.status.socketId}, version ${version}, expires ${time(expiresAt)}`, 'sys');
  });
  next.on('error', (error) => log(`${error.code}: ${error.message} (action: ${error.action})`, 'err'));
  next.on('unauthenticated', (error) => {
    probe.unauthenticated.push(error.code);
    log(`session ended: ${error.code} — log in again`, 'err');
    input('user').focus();
  });
  next.on('roomLeft', ({ room, code }) => log(`left #${room}: ${code} (your permissions changed)`, 'err'));
  listen('auth:expiring', ({ inMs }) => log(`auth:expiring — the server says the token expires in ${Math.round(inMs / 1000)} s`, 'sys'));
  listen('chat:message', (message) => log(message.text, undefined, `${message.from} in #${message.room}:`));
  listen('chat:announcement', ({ text }) => log(`announcement: ${text}`, 'ann'));
}

/**
 * Starts the page with the flavour's client: wires the forms, the status panel and `window.sockauthDemo`.
 *
 * @example
 * ```ts
 * startChatPage((options) => {
 *   const client = createWebSocketAuthClient<ServerEvents, ClientEvents>({ url: '/ws', ...options });
 *   return { client, listen: (event, listener) => client.listen(event, listener) };
 * });
 * ```
 */
export function startChatPage(create: CreatePageClient): void {
  createClient = create;
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const scopes = input('write').checked ? ['chat:read', 'chat:write'] : ['chat:read'];
    post('/auth/login', { user: input('user').value, scopes, ttlSec: Number(input('ttl').value) }).then(
      (tokens) => {
        session = tokens;
        log(`logged in; access token expires ${time(tokens.expiresAt)}`, 'sys');
        start(input('autoRefresh').checked);
      },
      (error: unknown) => log(`login failed: ${describe(error)}`, 'err'),
    );
  });

  $('join').addEventListener('submit', (event) => {
    event.preventDefault();
    if (client === undefined) return log('log in first', 'err');
    const room = input('room').value;
    client.emitWithAck('chat:join', { room }).then(
      (result) => (result.ok ? log(`joined #${room}`, 'sys') : log(`join refused: ${result.error.code}: ${result.error.message}`, 'err')),
      (error: unknown) => log(`join refused: ${describe(error)}`, 'err'),
    );
  });

  $('send').addEventListener('submit', (event) => {
    event.preventDefault();
    if (client === undefined) return log('log in first', 'err');
    // idempotent(): an id per message, resent with the same id if the connection drops before the ack.
    client
      .idempotent()
      .emitWithAck('chat:send', { room: input('room').value, text: input('text').value })
      .then(
        (result) => (result.ok ? (input('text').value = '') : log(`send refused: ${result.error.code}: ${result.error.message}`, 'err')),
        (error: unknown) => log(`send refused: ${describe(error)}`, 'err'),
      );
  });

  $('refresh').addEventListener('click', () => {
    if (client === undefined) return log('log in first', 'err');
    void client.refreshNow();
  });

  render(undefined);
}
