/**
 * The chat of the deliberately flawed fixtures (the DEMO-CONTRACT.md events), without its transport: contexts,
 * expiry timers, permissions, rooms, idempotency keys, revocation and restriction, each with its switchable flaws.
 * flawed-chat-server.ts puts it on Socket.IO, flawed-ws-chat-server.ts on plain WebSockets. With no flaw it
 * conforms. It deliberately does NOT use sockauth: the flaws are the mistakes a hand-rolled server makes.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, errors, jwtVerify, type JWTPayload } from '@sockauth/core/jose';
import type { TestIssuer } from '@sockauth/testing';

export type Flaw =
  /** `auth:expiring` is sent, but nothing happens at exp and events are not checked against it. */
  | 'no-expiry-cut'
  /** A restriction changes the permissions but leaves the socket in rooms it may no longer join. */
  | 'stale-rooms'
  /** The handshake's token is logged as it is. */
  | 'tokens-in-logs'
  /** The connection is accepted (its messages handled) first and the token verified afterwards (as after a slow key fetch). */
  | 'pre-handshake-events'
  /** Revocations cut live sockets but are not checked at the handshake. */
  | 'revoked-reconnect'
  /** Events are checked against the permissions of the handshake's token, whatever happened since. */
  | 'permissions-from-handshake'
  /** A revocation cuts the first live socket of the session only. */
  | 'revoke-one-tab'
  /** Idempotency keys are remembered per connection, so a re-send after a reconnection repeats the effect. */
  | 'dedupe-per-connection'
  /** No `auth:expiring`: a client whose clock is off cannot learn when the server expires its token. */
  | 'no-expiry-warning'
  /** Sockets are cut (expiry, revocation) without the `auth:error` that says why. */
  | 'silent-cut'
  /** Rooms are left on a context change, but the client is not told `auth:room-left`. */
  | 'silent-eviction'
  /** The expiry cut comes just after `auth:expiring`, before `exp` (a tolerance subtracted instead of added). */
  | 'early-cut'
  /** (WebSocket) A cut closes with 1000 and no reason: `auth:error` is sent, the close code says nothing. */
  | 'no-close-reason'
  /** (WebSocket) The subprotocol selected is the one holding the token, so the 101 echoes it. */
  | 'token-echo';

/** A started flawed fixture, as the conformance suite's `start()` resolves it, with the admin actions. */
export interface FlawedChatServer {
  readonly url: string;
  logs(): string;
  revoke(sessionId: string): void;
  restrict(subject: string, deny: readonly string[]): void;
  stop(): Promise<void>;
}

/** One connection as the chat sees it: the transport delivers pushes and ends it. */
export interface ChatPeer {
  /** A server push `event` with `data`. */
  push(event: string, data: unknown): void;
  /** Ends the connection for `code` (after the chat sent `auth:error`, unless silenced). */
  end(code: string, action: string): void;
}

type Ack = (response: unknown) => void;

interface Context {
  readonly subject: string;
  readonly sessionId: string | undefined;
  readonly claims: JWTPayload;
  readonly expiresAt: number;
  readonly version: number;
}

const WARN_BEFORE_MS = 2_000;
/** How early the early-cut flaw cuts: after the warning, before any client could refresh (the earliest is 80% of it). */
const EARLY_CUT_MS = 1_900;
/** Rooms need `chat:read` to stay in. */
const ROOM_PERMISSION = 'chat:read';
/** How long the pre-handshake flaw takes to verify "in the background". */
const LATE_VERIFY_MS = 50;

export class Refusal extends Error {
  constructor(
    readonly code: string,
    readonly action: string,
  ) {
    super(code);
  }
}

/** The chat of the flawed fixtures; `flaws` switch its mistakes on. */
export class FlawedChat {
  readonly lines: string[] = [];
  readonly #flaws: readonly Flaw[];
  readonly #secret: Uint8Array;
  readonly #issuer: TestIssuer;
  readonly #revokedSessions = new Set<string>();
  readonly #restrictions = new Map<string, readonly string[]>();
  readonly #contexts = new Map<ChatPeer, Context>();
  /** The context each peer had at its handshake (what the permissions-from-handshake flaw checks against). */
  readonly #initial = new WeakMap<ChatPeer, Context>();
  readonly #timers = new Map<ChatPeer, ReturnType<typeof setTimeout>[]>();
  readonly #rooms = new Map<ChatPeer, Set<string>>();
  readonly #sentIds = new Set<string>();
  #connections = 0;
  readonly #connectionIds = new WeakMap<ChatPeer, number>();

  constructor(issuer: TestIssuer, flaws: readonly Flaw[]) {
    this.#issuer = issuer;
    this.#flaws = flaws;
    this.#secret = new TextEncoder().encode(issuer.secret!);
  }

  has(flaw: Flaw): boolean {
    return this.#flaws.includes(flaw);
  }

  /** The claims of `token`, or the {@link Refusal}. */
  async verify(token: unknown): Promise<JWTPayload> {
    if (this.has('tokens-in-logs')) this.lines.push(`handshake ${JSON.stringify({ token })}`);
    if (typeof token !== 'string') throw new Refusal('AUTH_MISSING', 'login');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, this.#secret, { algorithms: ['HS256'], issuer: this.#issuer.issuer, audience: this.#issuer.audience }));
    } catch (error) {
      throw error instanceof errors.JWTExpired ? new Refusal('AUTH_EXPIRED', 'refresh') : new Refusal('AUTH_INVALID', 'login');
    }
    const sid = claims['sid'];
    if (typeof sid === 'string' && this.#revokedSessions.has(sid) && !this.has('revoked-reconnect')) throw new Refusal('AUTH_REVOKED', 'login');
    return claims;
  }

  /** A peer whose token was verified: its context, expiry timers and handlers start. */
  accept(peer: ChatPeer, claims: JWTPayload): void {
    this.#open(peer, toContext(claims, 1));
    this.#arm(peer, this.#contexts.get(peer)!);
  }

  /** The pre-handshake flaw: messages are handled on the unverified claims while the token is checked "in the background". */
  acceptUnverified(peer: ChatPeer, token: unknown): void {
    let claims: JWTPayload = {};
    try {
      claims = decodeJwt(String(token));
    } catch {
      // Nothing to decode: verification below refuses it.
    }
    const provisional = { ...toContext(claims, 1), expiresAt: Number.MAX_SAFE_INTEGER };
    this.#open(peer, provisional);
    setTimeout(() => {
      this.verify(token).then(
        (verified) => {
          // Unless a re-auth already replaced the provisional context.
          if (this.#contexts.get(peer) === provisional) this.#contexts.set(peer, toContext(verified, 1));
          const context = this.#contexts.get(peer);
          if (context !== undefined) this.#arm(peer, context);
        },
        (error: Refusal) => this.#cut(peer, error.code, error.action),
      );
    }, LATE_VERIFY_MS);
  }

  /** A message of `peer`: `event` with `payload`, answered through `ack`. Unknown events are not answered. */
  handle(peer: ChatPeer, event: string, payload: any, ack: Ack): void {
    if (event === 'auth:refresh') {
      void this.#refresh(peer, payload, ack);
      return;
    }
    const handlers: Record<string, [permission: string | undefined, handle: (context: Context) => void]> = {
      whoami: [undefined, (context) => ack({ subject: context.subject, permissions: this.#permissionsOf(context), expiresAt: context.expiresAt, version: context.version })],
      'chat:join': [
        ROOM_PERMISSION,
        () => {
          this.#rooms.get(peer)?.add(String(payload?.room));
          ack({ ok: true });
        },
      ],
      'chat:send': [
        'chat:write',
        (context) => {
          const { room, text, id } = payload ?? {};
          const key = `${this.has('dedupe-per-connection') ? this.#connectionIds.get(peer) : context.subject}\n${id}`;
          if (!this.#sentIds.has(key)) {
            this.#sentIds.add(key);
            for (const [member, rooms] of this.#rooms) if (rooms.has(String(room))) member.push('chat:message', { room, text, from: context.subject, id });
          }
          ack({ ok: true, id });
        },
      ],
    };
    const handler = handlers[event];
    if (handler === undefined) return;
    const context = this.#allowed(peer, handler[0]);
    if ('error' in context) ack(context);
    else handler[1](context);
  }

  /** The peer's connection ended. */
  drop(peer: ChatPeer): void {
    for (const timer of this.#timers.get(peer) ?? []) clearTimeout(timer);
    this.#timers.delete(peer);
    this.#contexts.delete(peer);
    this.#rooms.delete(peer);
  }

  revoke(sessionId: string): void {
    this.#revokedSessions.add(sessionId);
    const matching = [...this.#contexts].filter(([, context]) => context.sessionId === sessionId);
    for (const [peer] of this.has('revoke-one-tab') ? matching.slice(0, 1) : matching) this.#cut(peer, 'AUTH_REVOKED', 'login');
  }

  restrict(subject: string, deny: readonly string[]): void {
    this.#restrictions.set(subject, deny);
    for (const [peer, context] of this.#contexts) if (context.subject === subject) this.#recheckRooms(peer, context);
  }

  /** Listens on an ephemeral loopback port; `stop` closes the transport (the chat's timers are stopped first). */
  async listen(http: Server, stop: () => Promise<void>): Promise<FlawedChatServer> {
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      logs: () => this.lines.join('\n'),
      revoke: (sessionId) => this.revoke(sessionId),
      restrict: (subject, deny) => this.restrict(subject, deny),
      stop: async () => {
        for (const list of this.#timers.values()) for (const timer of list) clearTimeout(timer);
        await stop();
      },
    };
  }

  #open(peer: ChatPeer, context: Context): void {
    this.#contexts.set(peer, context);
    this.#initial.set(peer, context);
    this.#rooms.set(peer, new Set());
    this.#connectionIds.set(peer, ++this.#connections);
    this.lines.push(`connected ${context.subject}`);
  }

  #cut(peer: ChatPeer, code: string, action: string): void {
    if (!this.has('silent-cut')) peer.push('auth:error', { code, action, message: code });
    peer.end(code, action);
  }

  #permissionsOf(context: Context, withRestrictions = true): string[] {
    const denied = withRestrictions ? (this.#restrictions.get(context.subject) ?? []) : [];
    const granted = Array.isArray(context.claims['permissions']) ? (context.claims['permissions'] as string[]) : [];
    return granted.filter((permission) => !denied.includes(permission));
  }

  #arm(peer: ChatPeer, context: Context): void {
    for (const timer of this.#timers.get(peer) ?? []) clearTimeout(timer);
    const left = context.expiresAt - Date.now();
    const warn = (): void => peer.push('auth:expiring', { expiresAt: context.expiresAt, inMs: context.expiresAt - Date.now() });
    this.#timers.set(peer, [
      ...(this.has('no-expiry-warning') ? [] : [setTimeout(warn, Math.max(0, left - WARN_BEFORE_MS))]),
      ...(this.has('no-expiry-cut')
        ? []
        : [setTimeout(() => this.#cut(peer, 'AUTH_EXPIRED', 'refresh'), Math.max(0, this.has('early-cut') ? left - EARLY_CUT_MS : left))]),
    ]);
  }

  /** Leaves the rooms the context may no longer be in (the sound server), telling the client. */
  #recheckRooms(peer: ChatPeer, context: Context): void {
    if (this.has('stale-rooms') || this.#permissionsOf(context).includes(ROOM_PERMISSION)) return;
    const rooms = this.#rooms.get(peer) ?? new Set<string>();
    for (const room of [...rooms]) {
      rooms.delete(room);
      if (!this.has('silent-eviction')) peer.push('auth:room-left', { room, code: 'AUTH_FORBIDDEN', action: 'none' });
    }
  }

  /** The context in force for an event, or the refusal. */
  #allowed(peer: ChatPeer, permission: string | undefined): Context | { error: object } {
    const context = this.#contexts.get(peer);
    if (context === undefined) return { error: { code: 'AUTH_MISSING', action: 'login', message: 'no context' } };
    if (!this.has('no-expiry-cut') && Date.now() >= context.expiresAt) return { error: { code: 'AUTH_EXPIRED', action: 'refresh', message: 'expired' } };
    const granted = this.has('permissions-from-handshake')
      ? this.#permissionsOf(this.#initial.get(peer) ?? context, false)
      : this.#permissionsOf(context);
    if (permission !== undefined && !granted.includes(permission)) {
      return { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: `needs ${permission}` } };
    }
    return context;
  }

  async #refresh(peer: ChatPeer, payload: { token?: unknown } | undefined, ack: Ack): Promise<void> {
    const current = this.#contexts.get(peer);
    try {
      if (current === undefined) throw new Refusal('AUTH_MISSING', 'login');
      const claims = await this.verify(payload?.token);
      if (claims.sub !== current.subject) throw new Refusal('AUTH_IDENTITY_MISMATCH', 'login');
      const next = toContext(claims, current.version + 1);
      this.#contexts.set(peer, next);
      this.#arm(peer, next);
      this.#recheckRooms(peer, next);
      ack({ ok: true, expiresAt: next.expiresAt, version: next.version });
    } catch (error) {
      const { code, action } = error as Refusal;
      ack({ ok: false, error: { code, action, message: code } });
    }
  }
}

function toContext(claims: JWTPayload, version: number): Context {
  return {
    subject: String(claims.sub),
    sessionId: typeof claims['sid'] === 'string' ? claims['sid'] : undefined,
    claims,
    expiresAt: (claims.exp ?? 0) * 1000,
    version,
  };
}
