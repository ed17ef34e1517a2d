import type { Socket } from 'socket.io';
import { ConnectionSockets } from '../src/connection-sockets.js';
import { createSockAuth } from '../src/index.js';

const verifier = { algorithms: ['HS256'] as const, secret: 'connection-sockets-unit-test-secret-0123456789' };

/** A socket on `client`, whose connection counts its 'close' listeners. */
function socketOn(client: { conn: FakeConn }): Socket {
  return { client } as unknown as Socket;
}
class FakeConn {
  readonly listeners = new Set<() => void>();
  once(_event: 'close', listener: () => void): void {
    this.listeners.add(listener);
  }
  off(_event: 'close', listener: () => void): void {
    this.listeners.delete(listener);
  }
  close(): void {
    for (const listener of [...this.listeners]) {
      this.listeners.delete(listener);
      listener();
    }
  }
}

describe('ConnectionSockets', () => {
  test('bounds the slots of one connection, not of another, and gives them back', () => {
    const sockets = new ConnectionSockets(2, () => undefined);
    const a = { conn: new FakeConn() };
    const b = { conn: new FakeConn() };
    const [a1, a2, a3] = [socketOn(a), socketOn(a), socketOn(a)];
    expect([sockets.acquire(a1), sockets.acquire(a2), sockets.acquire(a3)]).toEqual([true, true, false]);
    expect(sockets.acquire(socketOn(b))).toBe(true);
    sockets.release(a1);
    expect(sockets.acquire(a3)).toBe(true);
  });

  test('sockets awaiting their connection share one close listener, removed once none waits', () => {
    const gone: Socket[] = [];
    const sockets = new ConnectionSockets(32, (socket) => {
      gone.push(socket);
      sockets.settled(socket);
      sockets.release(socket);
    });
    const client = { conn: new FakeConn() };
    const waiting = Array.from({ length: 20 }, () => socketOn(client));
    for (const socket of waiting) {
      sockets.acquire(socket);
      sockets.await(socket);
    }
    expect(client.conn.listeners.size).toBe(1);
    sockets.settled(waiting[0]!);
    client.conn.close();
    expect(gone).toEqual(waiting.slice(1));
    expect(client.conn.listeners.size).toBe(0);

    const other = { conn: new FakeConn() };
    const one = socketOn(other);
    sockets.acquire(one);
    sockets.await(one);
    sockets.settled(one);
    expect(other.conn.listeners.size).toBe(0);
  });
});

test('maxSocketsPerConnection must be a positive integer', () => {
  for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '8']) {
    expect(() => createSockAuth({ verifier, maxSocketsPerConnection: value as number })).toThrow(TypeError);
  }
  expect(() => createSockAuth({ verifier, maxSocketsPerConnection: 1 }).close()).not.toThrow();
});
