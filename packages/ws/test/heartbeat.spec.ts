import type { ReleaseReason } from '@sockauth/core';
import { closeAll } from '@sockauth/testing';
import { WebSocket } from 'ws';
import { createWsAuth } from '../src/index';
import { Heartbeat, type Heartbeating } from '../src/heartbeat';
import { TestClient, startWsServer } from './support';
import { hs256Verifier, mint } from '../../../test/support/tokens';

afterEach(closeAll);

const INTERVAL_MS = 200;

/** A server with a short heartbeat and a `join` handler, and a client (answering pings or not) in room `lobby`. */
async function joined(autoPong: boolean, heartbeat: { intervalMs: number } | false = { intervalMs: INTERVAL_MS }) {
  let released!: (reason: ReleaseReason) => void;
  const release = new Promise<ReleaseReason>((resolve) => (released = resolve));
  const server = await startWsServer({
    heartbeat,
    events: { whoami: null, join: null },
    rooms: { lobby: null },
    hooks: { onRelease: ({ reason }) => released(reason) },
  });
  server.wsAuth.on('join', async (_data, { ws }) => {
    await server.wsAuth.join(ws, 'lobby');
    return { ok: true };
  });
  const client = new TestClient(server.url, { headers: { authorization: `Bearer ${await mint({ sub: 'alice' })}` }, autoPong });
  await client.opened;
  expect(await client.request('join')).toEqual({ ok: true });
  expect(server.wsAuth.to('lobby').size).toBe(1);
  return { server, client, release };
}

/** Resolves after the client received `count` pings. */
function pings(client: TestClient, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    client.ws.on('ping', () => ++seen === count && resolve());
  });
}

describe('ws heartbeat', () => {
  test('a client that stops answering pings is terminated within two intervals: session released, rooms left', async () => {
    const { server, client, release } = await joined(false);
    const start = Date.now();
    const close = await client.closed;
    // terminate(): no close frame, the TCP connection is destroyed.
    expect(close.code).toBe(1006);
    // Two intervals at most, plus what a loaded machine adds to timers.
    expect(Date.now() - start).toBeLessThan(2 * INTERVAL_MS + 1_500);
    expect(await release).toBe('disconnect');
    expect(server.wsAuth.size).toBe(0);
    expect(server.wsAuth.to('lobby').size).toBe(0);
  });

  test('a client that answers stays connected across pings, still authenticated and in its room', async () => {
    const { server, client } = await joined(true);
    await pings(client, 4);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice' });
    expect(server.wsAuth.to('lobby').size).toBe(1);
  });

  test('a client that sends frames is not half-open: it stays across pings it never answers', async () => {
    const { server, client } = await joined(false);
    // Each ping is followed by a message (and its ack) before the next one is due: something arrived every interval.
    client.ws.on('ping', () => void client.request('whoami'));
    await pings(client, 4);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(server.wsAuth.to('lobby').size).toBe(1);
  });

  test('heartbeat: false sends no ping: a silent client outlives a heartbeat server’s timeout', async () => {
    const off = await joined(false, false);
    const offPings = jest.fn();
    off.client.ws.on('ping', offPings);
    // A second server with the heartbeat on, and its silent client: once that one is terminated, two intervals
    // have passed, and the first client, on a server without heartbeat, got no ping and is still there.
    const on = await joined(false);
    await on.client.closed;
    expect(offPings).not.toHaveBeenCalled();
    expect(off.client.ws.readyState).toBe(off.client.ws.OPEN);
    expect(off.server.wsAuth.size).toBe(1);
  });

  test.each([
    ['a string', 'yes'],
    ['an interval below the bound', { intervalMs: 99 }],
    ['an interval above the bound', { intervalMs: 600_001 }],
    ['a fractional interval', { intervalMs: 1_000.5 }],
    ['an unknown key', { interval: 1_000 }],
  ])('%s is a TypeError at start-up naming heartbeat', (_name, heartbeat) => {
    expect(() => createWsAuth({ verifier: hs256Verifier(), heartbeat: heartbeat as never })).toThrow(TypeError);
    expect(() => createWsAuth({ verifier: hs256Verifier(), heartbeat: heartbeat as never })).toThrow(/heartbeat/);
  });

  test('true, {} and a valid interval are accepted', () => {
    for (const heartbeat of [true, {}, { intervalMs: 100 }, { intervalMs: 600_000 }]) {
      createWsAuth({ verifier: hs256Verifier(), heartbeat }).close();
    }
  });
});

describe('heartbeat timer', () => {
  afterEach(() => jest.useRealTimers());

  test('stops at the first beat that finds no connection open (not at each close), and pings again once one is added', () => {
    jest.useFakeTimers();
    const open = new Set<Heartbeating>();
    const heartbeat = new Heartbeat(100, open);
    heartbeat.watch();
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(100);
    expect(jest.getTimerCount()).toBe(0);
    const ping = jest.fn();
    const ws = { readyState: WebSocket.OPEN, ping, terminate: jest.fn() } as unknown as WebSocket;
    open.add({ ws, socket: { bytesRead: 0 }, bytesAtPing: -1 });
    heartbeat.watch();
    jest.advanceTimersByTime(100);
    expect(ping).toHaveBeenCalledTimes(1);
    heartbeat.stop();
    expect(jest.getTimerCount()).toBe(0);
  });
});
