import { io as ioc, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from 'socket.io-client';
import type { ConnectErrorData } from '@sockauth/socket.io';
import { closeAfterTest } from '@sockauth/testing';

export type { ClientSocket };
export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** `connect_error` as sockauth sends it. */
export type ConnectError = Error & { data?: ConnectErrorData };

/** Defaults for every test client: websocket only (fast, headers work in Node), no reconnection, own connection. */
export const CLIENT_DEFAULTS: ClientOptions = { transports: ['websocket'], reconnection: false, forceNew: true };

/** Creates a tracked client without waiting for anything (it connects in the background). */
export function client(url: string, options: ClientOptions = {}): ClientSocket {
  const socket = ioc(url, { ...CLIENT_DEFAULTS, ...options });
  closeAfterTest(() => {
    socket.io.reconnection(false);
    socket.close();
  });
  return socket;
}

/** Resolves with the outcome of the socket's next connection attempt. */
export function connectOutcome(socket: ClientSocket): Promise<{ connected: true } | { connected: false; error: ConnectError }> {
  return new Promise((resolve) => {
    const onConnect = (): void => {
      socket.off('connect_error', onError);
      resolve({ connected: true });
    };
    const onError = (error: ConnectError): void => {
      socket.off('connect', onConnect);
      resolve({ connected: false, error });
    };
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}

/** Connects a tracked client and resolves once it is connected; rejects with the `connect_error` otherwise. */
export async function connect(url: string, options: ClientOptions = {}): Promise<ClientSocket> {
  const socket = client(url, options);
  const outcome = await connectOutcome(socket);
  if (!outcome.connected) {
    throw new Error(`expected a connection, got connect_error ${JSON.stringify(outcome.error.data ?? outcome.error.message)}`);
  }
  return socket;
}

/** Connects a tracked client that must be refused; resolves with the `connect_error` (fails if it connects). */
export async function refused(url: string, options: ClientOptions = {}): Promise<ConnectError> {
  const socket = client(url, options);
  const outcome = await connectOutcome(socket);
  if (outcome.connected) throw new Error('expected the handshake to be refused, but the socket connected');
  return outcome.error;
}

interface Listenable {
  once(event: string, listener: (...args: any[]) => void): unknown;
}

/** The arguments of the next `event` on `emitter` (a client or server socket, a namespace, an engine). */
export function nextEventArgs(emitter: Listenable, event: string): Promise<unknown[]> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args)));
}

/** The first argument of the next `event` on `emitter`. */
export async function nextEvent<T = unknown>(emitter: Listenable, event: string): Promise<T> {
  const [first] = await nextEventArgs(emitter, event);
  return first as T;
}

/**
 * Everything a client receives, in order, tagged by kind: server events, `disconnect` (with its reason) and
 * `connect_error`. Lets a test assert on ordering (`auth:error` strictly before `disconnect`).
 */
export function record(socket: ClientSocket): { kind: string; args: unknown[] }[] {
  const log: { kind: string; args: unknown[] }[] = [];
  socket.onAny((event: string, ...args: unknown[]) => log.push({ kind: event, args }));
  socket.on('disconnect', (...args: unknown[]) => log.push({ kind: 'disconnect', args }));
  socket.on('connect_error', (...args: unknown[]) => log.push({ kind: 'connect_error', args }));
  return log;
}

interface Subscribable {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * The first arguments of the next `count` occurrences of `event`. Register it before triggering the events:
 * several packets may arrive in one tick.
 */
export function nextEvents<T = unknown>(emitter: Subscribable, event: string, count: number): Promise<T[]> {
  return new Promise((resolve) => {
    const values: T[] = [];
    const listener = (value: T): void => {
      values.push(value);
      if (values.length < count) return;
      emitter.off(event, listener);
      resolve(values);
    };
    emitter.on(event, listener);
  });
}

/** Every first argument of `event` up to and including the first one `until` accepts. */
export function eventsUntil<T = unknown>(emitter: Subscribable, event: string, until: (value: T) => boolean): Promise<T[]> {
  return new Promise((resolve) => {
    const values: T[] = [];
    const listener = (value: T): void => {
      values.push(value);
      if (!until(value)) return;
      emitter.off(event, listener);
      resolve(values);
    };
    emitter.on(event, listener);
  });
}
