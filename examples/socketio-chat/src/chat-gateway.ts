import { randomUUID } from 'node:crypto';
import type { EventPermissions, SockAuth } from '@sockauth/socket.io';
import type { Server, Socket } from 'socket.io';

/**
 * What each client → server event needs. sockauth checks this before any handler below runs, acks refusals
 * with `AUTH_FORBIDDEN`, refuses every unlisted event, and handles `auth:refresh` itself.
 */
export const CHAT_EVENTS: EventPermissions = Object.freeze({
  whoami: null,
  'chat:join': 'chat:read',
  'chat:send': 'chat:write',
  'admin:announce': 'chat:admin',
});

export const MAX_ROOM_LENGTH = 64;
export const MAX_TEXT_LENGTH = 2000;
export const MAX_MESSAGE_ID_LENGTH = 128;
/** A repeated `chat:send` id from the same subject within this window is acked but not re-broadcast. */
export const IDEMPOTENCY_WINDOW_MS = 5 * 60_000;
/** Upper bound of remembered message ids (oldest forgotten first). */
export const MAX_REMEMBERED_IDS = 100_000;

/** Ack of an event whose payload is malformed (the socket stays connected). */
export interface BadRequestAck {
  readonly ok: false;
  readonly error: { readonly code: 'BAD_REQUEST'; readonly message: string };
}

/** Internal room names are prefixed, so a client cannot join another socket's private room by its id. */
const roomKey = (room: string): string => `room:${room}`;

/** A malformed payload: acked as {@link BadRequestAck}, the socket stays. Shared with the NestJS example. */
export class BadRequest extends Error {}

/**
 * Message ids seen recently, per subject. Entries are inserted in time order, so expired ones are always at
 * the front of the map: sweeping costs only what it removes, and memory is bounded by the window and a cap.
 */
export class RecentIds {
  readonly #seen = new Map<string, number>();

  constructor(
    readonly windowMs = IDEMPOTENCY_WINDOW_MS,
    readonly max = MAX_REMEMBERED_IDS,
    readonly now: () => number = Date.now,
  ) {}

  /** True the first time `id` is seen for `subject` within the window (and remembers it); false for a repeat. */
  remember(subject: string, id: string): boolean {
    const now = this.now();
    this.#sweep(now);
    const key = `${subject}\u0000${id}`;
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, now + this.windowMs);
    if (this.#seen.size > this.max) this.#seen.delete(this.#seen.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  clear(): void {
    this.#seen.clear();
  }

  #sweep(now: number): void {
    for (const [key, expiresAt] of this.#seen) {
      if (expiresAt > now) return;
      this.#seen.delete(key);
    }
  }
}

type Ack = (response: unknown) => void;

/** Socket.IO passes the ack as the last argument, if the client asked for one. */
function split(args: unknown[]): { payload: unknown; ack: Ack | undefined } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as Ack) : undefined;
  return { payload: ack !== undefined && args.length === 1 ? undefined : args[0], ack };
}

/** The payload as an object, or {@link BadRequest}. */
export function object(payload: unknown): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new BadRequest('payload must be an object');
  }
  return payload as Record<string, unknown>;
}

/** A non-empty string of at most `max` characters, or {@link BadRequest}. */
export function text(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new BadRequest(`"${name}" must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

/** A room name (no control characters), or {@link BadRequest}. */
export function room(value: unknown): string {
  const name = text(value, 'room', MAX_ROOM_LENGTH);
  if (/\p{Cc}/u.test(name)) throw new BadRequest('"room" must not contain control characters');
  return name;
}

/**
 * Registers the chat handlers on every connection of `io`'s main namespace. Handlers never throw: a malformed
 * payload is acked with {@link BadRequestAck}, and a missing ack is simply not called.
 */
export function installChatGateway(io: Server, auth: SockAuth, recent = new RecentIds()): { close(): void } {
  const on = (socket: Socket, event: string, handler: (payload: unknown, socket: Socket) => unknown): void => {
    socket.on(event, (...args: unknown[]) => {
      const { payload, ack } = split(args);
      let response: unknown;
      try {
        response = handler(payload, socket);
      } catch (error) {
        if (!(error instanceof BadRequest)) {
          process.stderr.write(`chat: ${event} handler failed: ${(error as Error)?.name ?? 'error'}\n`);
        }
        const message = error instanceof BadRequest ? error.message : 'internal error';
        response = { ok: false, error: { code: error instanceof BadRequest ? 'BAD_REQUEST' : 'INTERNAL', message } };
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

    on(socket, 'chat:join', (payload) => {
      void socket.join(roomKey(room(object(payload)['room'])));
      return { ok: true };
    });

    on(socket, 'chat:send', (payload) => {
      const body = object(payload);
      const target = room(body['room']);
      const message = text(body['text'], 'text', MAX_TEXT_LENGTH);
      const id = body['id'] === undefined ? randomUUID() : text(body['id'], 'id', MAX_MESSAGE_ID_LENGTH);
      const from = subjectOf(socket);
      if (recent.remember(from, id)) {
        io.to(roomKey(target)).emit('chat:message', { room: target, text: message, from, id });
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
