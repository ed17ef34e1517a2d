import type { Socket } from 'socket.io';

/** Default of `maxSocketsPerConnection`. */
export const DEFAULT_MAX_SOCKETS_PER_CONNECTION = 32;

interface Closable {
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/** Authenticated sockets a later middleware still holds before Socket.IO connects them, on one connection. */
interface Awaiting {
  readonly sockets: Set<Socket>;
  /** The one 'close' listener of the connection while some socket is awaiting. */
  readonly onClose: () => void;
}

/**
 * Per Engine.IO connection bookkeeping: bounds the sockets one connection may have verified or authenticated at
 * once (one client can send any number of CONNECT packets, to one namespace or several), and forgets the sockets
 * a later middleware holds if the connection closes first, with one 'close' listener per connection however many
 * sockets wait. A connection costs one small integer entry (and nothing once it holds no socket).
 */
export class ConnectionSockets {
  readonly #max: number;
  readonly #onGone: (socket: Socket) => void;
  /** Sockets being verified or authenticated, per Engine.IO client (until released). */
  readonly #held = new WeakMap<object, number>();
  readonly #awaiting = new WeakMap<object, Awaiting>();

  /** `onGone` releases a socket whose connection closed before Socket.IO connected it. */
  constructor(max: number, onGone: (socket: Socket) => void) {
    this.#max = max;
    this.#onGone = onGone;
  }

  /** Takes a slot for `socket` on its connection; false when the connection already has the maximum. */
  acquire(socket: Socket): boolean {
    const client = socket.client as object;
    const held = this.#held.get(client) ?? 0;
    if (held >= this.#max) return false;
    this.#held.set(client, held + 1);
    return true;
  }

  /** Gives back the slot of `socket` (exactly once per successful {@link acquire}). */
  release(socket: Socket): void {
    const client = socket.client as object;
    const held = this.#held.get(client);
    if (held === undefined) return;
    if (held <= 1) this.#held.delete(client);
    else this.#held.set(client, held - 1);
  }

  /** `socket` is authenticated but not connected yet: release it if its connection closes first. */
  await(socket: Socket): void {
    const client = socket.client as object;
    let awaiting = this.#awaiting.get(client);
    if (awaiting === undefined) {
      const sockets = new Set<Socket>();
      awaiting = { sockets, onClose: () => [...sockets].forEach(this.#onGone) };
      this.#awaiting.set(client, awaiting);
      (socket.client.conn as unknown as Closable).once('close', awaiting.onClose);
    }
    awaiting.sockets.add(socket);
  }

  /** `socket` connected or was released: it no longer waits. */
  settled(socket: Socket): void {
    const client = socket.client as object;
    const awaiting = this.#awaiting.get(client);
    if (awaiting === undefined || !awaiting.sockets.delete(socket) || awaiting.sockets.size > 0) return;
    (socket.client.conn as unknown as Closable).off('close', awaiting.onClose);
    this.#awaiting.delete(client);
  }
}
