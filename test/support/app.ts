import type { AuthContext } from '@sockauth/core';
import type { SockAuth } from '@sockauth/socket.io';
import type { Socket } from 'socket.io';
import type { TestIo } from './servers';

/** What the test `whoami` handler acks: the server's view of the context in force, as plain JSON. */
export interface Whoami {
  readonly subject: string | undefined;
  readonly version: number | undefined;
  readonly permissions: string[] | undefined;
  readonly expiresAt: number | undefined;
  readonly sessionId: string | undefined;
  readonly tokenId: string | undefined;
}

export function whoami(context: AuthContext | undefined): Whoami {
  return {
    subject: context?.subject,
    version: context?.version,
    permissions: context?.permissions.toArray(),
    expiresAt: context?.expiresAt,
    sessionId: context?.sessionId,
    tokenId: context?.tokenId,
  };
}

/** Counts handler runs per event name, and the context each run saw. */
export class HandlerLog {
  readonly runs: { event: string; socketId: string; context: AuthContext | undefined; args: unknown[] }[] = [];

  count(event?: string): number {
    return event === undefined ? this.runs.length : this.runs.filter((run) => run.event === event).length;
  }
}

/** The events {@link installApp} handles unless told otherwise. */
export const APP_EVENTS = ['whoami', 'chat:send', 'chat:read', 'admin:kick', 'admin:ban', 'mod:warn', 'unlisted', 'tick'];

/**
 * Registers the handlers most specs use on every connection of `nsp` (default `/`): `whoami` acks
 * {@link Whoami}; every other event of `events` is logged and acked with `{ ok: true, event }`. Handlers are
 * registered per event name (never with `onAny`, whose listeners Socket.IO calls before `socket.use`
 * middlewares, so outside any permission check).
 */
export function installApp(io: TestIo, auth: SockAuth, options: { nsp?: string; events?: readonly string[] } = {}): HandlerLog {
  const log = new HandlerLog();
  io.of(options.nsp ?? '/').on('connection', (socket: Socket) => {
    for (const event of options.events ?? APP_EVENTS) {
      socket.on(event, (...args: unknown[]) => {
        log.runs.push({ event, socketId: socket.id, context: auth.contextOf(socket), args });
        const ack = args[args.length - 1];
        if (typeof ack !== 'function') return;
        if (event === 'whoami') ack(whoami(auth.contextOf(socket)));
        else ack({ ok: true, event });
      });
    }
  });
  return log;
}

/** The server-side socket of a connected client (same id on both sides in Socket.IO v4). */
export function serverSocket(io: TestIo, clientId: string | undefined, nsp = '/'): Socket {
  const socket = clientId === undefined ? undefined : io.of(nsp).sockets.get(clientId);
  if (socket === undefined) throw new Error(`no server socket ${clientId} in ${nsp}`);
  return socket;
}

/** Every 10-character substring of each token: if any appears in `text`, a token leaked. */
export function leakedTokenFragments(text: string, tokens: readonly string[], size = 10): string[] {
  const leaks: string[] = [];
  for (const token of tokens) {
    for (let i = 0; i + size <= token.length; i++) {
      const fragment = token.slice(i, i + size);
      if (text.includes(fragment)) leaks.push(fragment);
    }
  }
  return leaks;
}
