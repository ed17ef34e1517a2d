/**
 * A hand-written chat server (the DEMO-CONTRACT.md events, in-process) with switchable flaws, for showing that the
 * conformance suite catches each one. With no flaw it conforms: the control run proves the suite passes a sound
 * server, so a failure with a flaw switched on is that flaw and nothing else. It deliberately does NOT use sockauth:
 * the flaws are the mistakes a hand-rolled server makes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { decodeJwt, errors, jwtVerify, type JWTPayload } from '@sockauth/core/jose';
import type { TestIssuer } from '@sockauth/testing';

export type Flaw =
  /** `auth:expiring` is sent, but nothing happens at exp and events are not checked against it. */
  | 'no-expiry-cut'
  /** A restriction changes the permissions but leaves the socket in rooms it may no longer join. */
  | 'stale-rooms'
  /** The handshake's `auth` is logged as it is. */
  | 'tokens-in-logs'
  /** The connection is accepted first and the token verified afterwards (as after a slow key fetch). */
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
  | 'early-cut';

export interface FlawedChatServer {
  readonly url: string;
  logs(): string;
  revoke(sessionId: string): void;
  restrict(subject: string, deny: readonly string[]): void;
  stop(): Promise<void>;
}

interface Context {
  readonly subject: string;
  readonly sessionId: string | undefined;
  readonly claims: JWTPayload;
  readonly expiresAt: number;
  readonly version: number;
}

type Ack = (response: unknown) => void;

const WARN_BEFORE_MS = 2_000;
/** How early the early-cut flaw cuts: after the warning, before any client could refresh (the earliest is 80% of it). */
const EARLY_CUT_MS = 1_900;
/** Rooms need `chat:read` to stay in. */
const ROOM_PERMISSION = 'chat:read';

class Refusal extends Error {
  constructor(
    readonly code: string,
    readonly action: string,
  ) {
    super(code);
  }
}

export async function startFlawedChatServer(issuer: TestIssuer, flaws: readonly Flaw[] = []): Promise<FlawedChatServer> {
  const has = (flaw: Flaw): boolean => flaws.includes(flaw);
  const http = createServer();
  const io = new Server(http);
  const lines: string[] = [];
  const revokedSessions = new Set<string>();
  const restrictions = new Map<string, readonly string[]>();
  const contexts = new Map<Socket, Context>();
  /** The context each socket had at its handshake (what the permissions-from-handshake flaw checks against). */
  const initialContexts = new WeakMap<Socket, Context>();
  const timers = new Map<Socket, ReturnType<typeof setTimeout>[]>();
  const sentIds = new Set<string>();
  const secret = new TextEncoder().encode(issuer.secret!);

  async function verify(token: unknown): Promise<JWTPayload> {
    if (typeof token !== 'string') throw new Refusal('AUTH_MISSING', 'login');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, secret, { algorithms: ['HS256'], issuer: issuer.issuer, audience: issuer.audience }));
    } catch (error) {
      throw error instanceof errors.JWTExpired ? new Refusal('AUTH_EXPIRED', 'refresh') : new Refusal('AUTH_INVALID', 'login');
    }
    const sid = claims['sid'];
    if (typeof sid === 'string' && revokedSessions.has(sid) && !has('revoked-reconnect')) throw new Refusal('AUTH_REVOKED', 'login');
    return claims;
  }

  const toContext = (claims: JWTPayload, version: number): Context => ({
    subject: String(claims.sub),
    sessionId: typeof claims['sid'] === 'string' ? claims['sid'] : undefined,
    claims,
    expiresAt: (claims.exp ?? 0) * 1000,
    version,
  });

  function permissionsOf(context: Context, withRestrictions = true): string[] {
    const denied = withRestrictions ? (restrictions.get(context.subject) ?? []) : [];
    const granted = Array.isArray(context.claims['permissions']) ? (context.claims['permissions'] as string[]) : [];
    return granted.filter((permission) => !denied.includes(permission));
  }

  function cut(socket: Socket, code: string, action: string): void {
    if (!has('silent-cut')) socket.emit('auth:error', { code, action, message: code });
    socket.disconnect(true);
  }

  function arm(socket: Socket, context: Context): void {
    for (const timer of timers.get(socket) ?? []) clearTimeout(timer);
    const left = context.expiresAt - Date.now();
    const warn = (): void => void socket.emit('auth:expiring', { expiresAt: context.expiresAt, inMs: context.expiresAt - Date.now() });
    timers.set(socket, [
      ...(has('no-expiry-warning') ? [] : [setTimeout(warn, Math.max(0, left - WARN_BEFORE_MS))]),
      ...(has('no-expiry-cut') ? [] : [setTimeout(() => cut(socket, 'AUTH_EXPIRED', 'refresh'), Math.max(0, has('early-cut') ? left - EARLY_CUT_MS : left))]),
    ]);
  }

  /** Leaves the rooms the context may no longer be in (the sound server), telling the client. */
  function recheckRooms(socket: Socket, context: Context): void {
    if (has('stale-rooms') || permissionsOf(context).includes(ROOM_PERMISSION)) return;
    for (const room of [...socket.rooms].filter((room) => room !== socket.id)) {
      void socket.leave(room);
      if (!has('silent-eviction')) socket.emit('auth:room-left', { room, code: 'AUTH_FORBIDDEN', action: 'none' });
    }
  }

  /** The context in force for an event, or the refusal. */
  function allowed(socket: Socket, permission: string | undefined): Context | { error: object } {
    const context = contexts.get(socket);
    if (context === undefined) return { error: { code: 'AUTH_MISSING', action: 'login', message: 'no context' } };
    if (!has('no-expiry-cut') && Date.now() >= context.expiresAt) return { error: { code: 'AUTH_EXPIRED', action: 'refresh', message: 'expired' } };
    const granted = has('permissions-from-handshake') ? permissionsOf(initialContexts.get(socket) ?? context, false) : permissionsOf(context);
    if (permission !== undefined && !granted.includes(permission)) {
      return { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: `needs ${permission}` } };
    }
    return context;
  }

  function handlers(socket: Socket): void {
    const on = (event: string, permission: string | undefined, handle: (context: Context, payload: any, ack: Ack) => void): void => {
      socket.on(event, (...args: unknown[]) => {
        const ack = (typeof args.at(-1) === 'function' ? args.pop() : () => undefined) as Ack;
        const context = allowed(socket, permission);
        if ('error' in context) ack(context);
        else handle(context, args[0], ack);
      });
    };
    on('whoami', undefined, (context, _payload, ack) =>
      ack({ subject: context.subject, permissions: permissionsOf(context), expiresAt: context.expiresAt, version: context.version }),
    );
    on('chat:join', ROOM_PERMISSION, (_context, { room }, ack) => {
      void socket.join(String(room));
      ack({ ok: true });
    });
    on('chat:send', 'chat:write', (context, { room, text, id }, ack) => {
      const key = `${has('dedupe-per-connection') ? socket.id : context.subject}\n${id}`;
      if (!sentIds.has(key)) {
        sentIds.add(key);
        io.to(String(room)).emit('chat:message', { room, text, from: context.subject, id });
      }
      ack({ ok: true, id });
    });
    socket.on('auth:refresh', async (payload: { token?: unknown }, ack: Ack) => {
      const current = contexts.get(socket)!;
      try {
        const claims = await verify(payload?.token);
        if (claims.sub !== current.subject) throw new Refusal('AUTH_IDENTITY_MISMATCH', 'login');
        const next = toContext(claims, current.version + 1);
        contexts.set(socket, next);
        arm(socket, next);
        recheckRooms(socket, next);
        ack({ ok: true, expiresAt: next.expiresAt, version: next.version });
      } catch (error) {
        const { code, action } = error as Refusal;
        ack({ ok: false, error: { code, action, message: code } });
      }
    });
  }

  if (!has('pre-handshake-events')) {
    io.use((socket, next) => {
      if (has('tokens-in-logs')) lines.push(`handshake ${JSON.stringify(socket.handshake.auth)}`);
      verify(socket.handshake.auth['token']).then(
        (claims) => {
          socket.data.claims = claims;
          next();
        },
        (error: Refusal) => next(Object.assign(new Error(error.code), { data: { code: error.code, action: error.action } })),
      );
    });
  }

  io.on('connection', (socket) => {
    const token = socket.handshake.auth['token'];
    if (has('pre-handshake-events')) {
      // The flaw: handlers run on the unverified claims while the token is checked "in the background".
      let claims: JWTPayload = {};
      try {
        claims = decodeJwt(String(token));
      } catch {
        // Nothing to decode: verification below refuses it.
      }
      const provisional = { ...toContext(claims, 1), expiresAt: Number.MAX_SAFE_INTEGER };
      contexts.set(socket, provisional);
      handlers(socket);
      setTimeout(() => {
        verify(token).then(
          (verified) => {
            // Unless a re-auth already replaced the provisional context.
            if (contexts.get(socket) === provisional) contexts.set(socket, toContext(verified, 1));
            const context = contexts.get(socket);
            if (context !== undefined) arm(socket, context);
          },
          (error: Refusal) => cut(socket, error.code, error.action),
        );
      }, 50);
    } else {
      contexts.set(socket, toContext(socket.data.claims as JWTPayload, 1));
      handlers(socket);
      arm(socket, contexts.get(socket)!);
    }
    initialContexts.set(socket, contexts.get(socket)!);
    lines.push(`connected ${contexts.get(socket)!.subject}`);
    socket.on('disconnect', () => {
      for (const timer of timers.get(socket) ?? []) clearTimeout(timer);
      contexts.delete(socket);
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    logs: () => lines.join('\n'),
    revoke(sessionId) {
      revokedSessions.add(sessionId);
      const matching = [...contexts].filter(([, context]) => context.sessionId === sessionId);
      for (const [socket] of has('revoke-one-tab') ? matching.slice(0, 1) : matching) cut(socket, 'AUTH_REVOKED', 'login');
    },
    restrict(subject, deny) {
      restrictions.set(subject, deny);
      for (const [socket, context] of contexts) if (context.subject === subject) recheckRooms(socket, context);
    },
    async stop() {
      for (const list of timers.values()) for (const timer of list) clearTimeout(timer);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
