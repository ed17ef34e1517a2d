import { createAuthClient, type AuthClient } from '../src/index.js';
import { FakeSocket, fakeToken, flush } from './fake-socket.js';

const T0 = Date.UTC(2030, 0, 1);

beforeEach(() => jest.useFakeTimers({ now: T0 }));
afterEach(() => jest.useRealTimers());

/**
 * 10,000 real AuthClients (fake sockets, fake timers) whose tokens all expire at the same second, as after a mass
 * login or a deploy: their refresh() calls must spread over the whole window, not spike.
 */
it('10,000 clients with the same exp refresh spread over [exp - 60 s, exp - 10 s], no second over 1.5x the mean', async () => {
  const CLIENTS = 10_000;
  const exp = T0 / 1000 + 15 * 60;
  const token = fakeToken({ iat: T0 / 1000, exp });
  const calls: number[] = [];
  const clients: AuthClient[] = [];
  const sockets: FakeSocket[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const socket = new FakeSocket();
    sockets.push(socket);
    clients.push(
      createAuthClient({
        socket: socket.asSocket(),
        getToken: () => token,
        refresh: async () => {
          calls.push(Date.now());
          return fakeToken({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 900 });
        },
      }),
    );
  }
  await flush();
  for (const socket of sockets) socket.accept();

  const expMs = exp * 1000;
  // Nothing before the window opens.
  await jest.advanceTimersByTimeAsync(expMs - 60_000 - Date.now() - 1);
  expect(calls).toHaveLength(0);
  // Walk through the window second by second.
  let version = 1;
  while (Date.now() < expMs) {
    await jest.advanceTimersByTimeAsync(1000);
    await flush();
    // The server accepts every in-band refresh.
    for (const socket of sockets) {
      for (const pending of socket.emitted('auth:refresh')) pending.reply({ ok: true, expiresAt: expMs + 900_000, version: ++version });
    }
  }
  expect(calls).toHaveLength(CLIENTS);

  const buckets = new Map<number, number>();
  for (const at of calls) {
    const second = Math.floor((expMs - at - 1) / 1000); // seconds before exp, 0-based
    buckets.set(second, (buckets.get(second) ?? 0) + 1);
  }
  const expected = CLIENTS / 50;
  const counts = [...buckets.values()];
  expect(Math.max(...counts)).toBeLessThan(expected * 1.5);
  expect(Math.min(...counts)).toBeGreaterThan(expected * 0.5);
  expect(buckets.size).toBe(50);
  expect(Math.min(...calls)).toBeGreaterThanOrEqual(expMs - 60_000);
  expect(Math.min(...calls)).toBeLessThanOrEqual(expMs - 59_000);
  expect(Math.max(...calls)).toBeLessThanOrEqual(expMs - 10_000);
  expect(Math.max(...calls)).toBeGreaterThanOrEqual(expMs - 11_000);

  for (const client of clients) client.close();
  expect(jest.getTimerCount()).toBe(0);
}, 60_000);
