/**
 * Nothing outlives a socket: after many connect/disconnect cycles, aborted handshakes and namespace reconnects
 * over one connection, there is no live context, no timer (ref'd or unref'd) and no listener left behind.
 */
import { MemoryRevocationStore, type RevocationSubject } from '@sockauth/core';
import { closeAfterTest, closeAll, connectAs } from '@sockauth/testing';
import type { Socket } from 'socket.io';
import { deferred, settle } from '../../../test/support/async';
import { client, connect, connectOutcome, nextEvent, type ClientSocket } from '../../../test/support/clients';
import { startServer, type TestServer } from '../../../test/support/servers';
import { activeTimeouts, TimerTracker } from '../../../test/support/timers';
import { mint } from '../../../test/support/tokens';

afterEach(closeAll);

/** Counts engine connections opened and closed on the server, so a test can wait until all are closed. */
function engineConnections(server: TestServer) {
  let open = 0;
  let waiter: (() => void) | undefined;
  server.io.engine.on('connection', (conn: { once(event: 'close', listener: () => void): void }) => {
    open++;
    conn.once('close', () => {
      open--;
      if (open === 0) waiter?.();
    });
  });
  return {
    get open() {
      return open;
    },
    allClosed(): Promise<void> {
      if (open === 0) return Promise.resolve();
      return new Promise((resolve) => (waiter = resolve));
    },
  };
}

/** Internal Socket.IO state a leak would show up in. */
function namespaceInternals(server: TestServer, name = '/') {
  return server.io.of(name) as unknown as { sockets: Map<string, Socket>; _preConnectSockets: Map<string, Socket> };
}

test('1,000 connect/disconnect cycles leave no context, no timer and no listener behind', async () => {
  const server = await startServer({ auth: { warnBeforeSec: 30 } });
  const engine = engineConnections(server);
  let serverDisconnects = 0;
  let onServerDisconnect: (() => void) | undefined;
  server.io.on('connection', (socket) =>
    socket.once('disconnect', () => {
      serverDisconnects++;
      onServerDisconnect?.();
    }),
  );
  const nsp = server.io.of('/');
  const token = await mint({ sub: 'alice', sid: 'sess', jti: 'jti' }, { ttlSec: 3600 });
  // Warm up once so lazily created module-level timers do not count as leaks.
  (await connect(server.url, { auth: { token } })).disconnect();
  await engine.allClosed();
  const baseline = { connectionListeners: nsp.listenerCount('connection'), refTimeouts: activeTimeouts() };
  const timers = new TimerTracker().start();

  const BATCH = 50;
  for (let batch = 0; batch < 1000 / BATCH; batch++) {
    const target = serverDisconnects + BATCH;
    const allGone = new Promise<void>((resolve) => (onServerDisconnect = () => serverDisconnects >= target && resolve()));
    const sockets = await Promise.all(Array.from({ length: BATCH }, () => connect(server.url, { auth: { token } })));
    expect(server.auth.size).toBe(BATCH);
    for (const socket of sockets) socket.disconnect();
    await allGone;
  }
  await engine.allClosed();
  const liveTimers = await timers.liveCount(1000);
  timers.stop();
  if (liveTimers > 0 && timers.stacks.size > 0) console.log([...timers.stacks.values()].join('\n\n'));

  expect(serverDisconnects).toBe(1001);
  expect(server.auth.size).toBe(0);
  expect(nsp.listenerCount('connection')).toBe(baseline.connectionListeners);
  expect(namespaceInternals(server).sockets.size).toBe(0);
  expect(namespaceInternals(server)._preConnectSockets.size).toBe(0);
  expect(server.io.engine.clientsCount).toBe(0);
  expect(timers.created).toBeGreaterThanOrEqual(1000);
  expect(liveTimers).toBe(0);
  expect(activeTimeouts()).toBeLessThanOrEqual(baseline.refTimeouts);
});

/** A memory store whose isRevoked waits for `release()`: holds handshakes in the middle of verification. */
class GatedStore extends MemoryRevocationStore {
  entered = deferred();
  #gate = deferred();

  release(): void {
    this.#gate.resolve();
  }

  override async isRevoked(token: RevocationSubject): Promise<boolean> {
    this.entered.resolve();
    await this.#gate.promise;
    return super.isRevoked(token);
  }
}

test('a client that leaves while its handshake is being verified leaves no listener, context or timer', async () => {
  const store = new GatedStore();
  const server = await startServer({ auth: { revocationStore: store } });
  const engine = engineConnections(server);
  const onConnection = jest.fn();
  server.io.on('connection', onConnection);
  const nsp = server.io.of('/');
  const baseline = nsp.listenerCount('connection');
  const timers = new TimerTracker().start();

  const socket = client(server.url, { auth: { token: await mint({ sub: 'alice' }) } });
  await store.entered.promise;
  socket.close();
  await engine.allClosed();
  store.release();
  await settle();
  await settle();
  const liveTimers = await timers.liveCount(1000);
  timers.stop();

  expect(onConnection).not.toHaveBeenCalled();
  expect(nsp.listenerCount('connection')).toBe(baseline);
  expect(server.auth.size).toBe(0);
  expect(namespaceInternals(server)._preConnectSockets.size).toBe(0);
  expect(liveTimers).toBe(0);
});

test('a socket a later middleware holds is started once it connects, or forgotten if its client leaves first', async () => {
  let hold = deferred();
  let entered = deferred();
  const server = await startServer({
    auth: { events: { whoami: null } },
    // After sockauth's middleware: the socket is authenticated, then held before Socket.IO connects it.
    setup: (io, auth) => {
      io.use(async (_socket, next) => {
        entered.resolve();
        await hold.promise;
        next();
      });
      io.on('connection', (socket) => socket.on('whoami', (ack: (v: unknown) => void) => ack(auth.contextOf(socket)?.subject)));
    },
  });
  const engine = engineConnections(server);
  const nsp = server.io.of('/');
  const baseline = nsp.listenerCount('connection');
  const token = await mint({ sub: 'alice' });

  // Held, then let through: started (live, answering) and no 'close' listener of ours left on its connection.
  const held = client(server.url, { auth: { token } });
  await entered.promise;
  await settle();
  const conn = Object.values((server.io.engine as unknown as { clients: Record<string, { listenerCount(e: string): number }> }).clients)[0]!;
  const closeListeners = conn.listenerCount('close');
  hold.resolve();
  expect((await connectOutcome(held)).connected).toBe(true);
  expect(await held.emitWithAck('whoami')).toBe('alice');
  expect(conn.listenerCount('close')).toBe(closeListeners - 1);
  expect(server.auth.size).toBe(1);
  held.close();
  await engine.allClosed();
  expect(server.auth.size).toBe(0);

  // Held, and the client leaves meanwhile: nothing is left once the middleware lets it go.
  hold = deferred();
  entered = deferred();
  const gone = client(server.url, { auth: { token } });
  await entered.promise;
  await settle();
  expect(server.auth.size).toBe(1);
  gone.close();
  await engine.allClosed();
  expect(server.auth.size).toBe(0);
  hold.resolve();
  await settle();
  await settle();
  expect(server.auth.size).toBe(0);
  expect(nsp.listenerCount('connection')).toBe(baseline);
  expect(namespaceInternals(server).sockets.size).toBe(0);
  expect(namespaceInternals(server)._preConnectSockets.size).toBe(0);
});

test('a recovering client that leaves while its token is being re-verified leaves nothing behind', async () => {
  const store = new GatedStore();
  const server = await startServer({
    io: { connectionStateRecovery: { maxDisconnectionDuration: 10_000, skipMiddlewares: true } },
    auth: { revocationStore: store },
  });
  const engine = engineConnections(server);
  const onConnection = jest.fn();
  // The first handshake passes the gate; the recovery is the one held.
  store.release();
  const token = await mint({ sub: 'alice' });
  const socket = client(server.url, { auth: (cb) => cb({ token }) });
  expect((await connectOutcome(socket)).connected).toBe(true);
  const offset = nextEvent(socket, 'news');
  server.io.emit('news', 'for the offset');
  await offset;
  socket.io.engine.close();
  await engine.allClosed();

  // Hold the recovery's verification, drop the client meanwhile, then let the verification finish.
  const gated = new GatedStore();
  store.isRevoked = (subject) => gated.isRevoked(subject);
  server.io.on('connection', onConnection);
  socket.connect();
  await gated.entered.promise;
  socket.io.engine.close();
  await engine.allClosed();
  gated.release();
  await settle();
  await settle();

  expect(onConnection).not.toHaveBeenCalled();
  expect(server.auth.size).toBe(0);
  expect(namespaceInternals(server).sockets.size).toBe(0);
  expect(namespaceInternals(server)._preConnectSockets.size).toBe(0);
});

test('a namespace reconnecting many times over one multiplexed connection does not accumulate listeners', async () => {
  const server = await startServer({ beforeAttach: (io) => void io.of('/admin') });
  const token = await mint({ sub: 'alice' });
  const main = await connect(server.url, { auth: { token } });
  const conn = server.io.of('/').sockets.get(main.id!)!.conn;
  const adminNsp = server.io.of('/admin');
  const firstConnection = nextEvent<Socket>(adminNsp, 'connection');
  // Same Manager, so the same engine connection; it connects at once (autoConnect).
  const admin: ClientSocket = main.io.socket('/admin', { auth: { token } });
  closeAfterTest(() => void admin.close());
  expect((await connectOutcome(admin)).connected).toBe(true);
  const firstGone = nextEvent(await firstConnection, 'disconnect');
  admin.disconnect();
  await firstGone;

  const cycle = async (): Promise<void> => {
    const connected = nextEvent<Socket>(adminNsp, 'connection');
    const outcome = connectOutcome(admin);
    admin.connect();
    expect((await outcome).connected).toBe(true);
    const gone = nextEvent(await connected, 'disconnect');
    admin.disconnect();
    await gone;
  };
  await cycle();
  const baseline = { close: conn.listenerCount('close'), connection: adminNsp.listenerCount('connection') };
  for (let i = 0; i < 100; i++) await cycle();

  expect(conn.listenerCount('close')).toBe(baseline.close);
  expect(adminNsp.listenerCount('connection')).toBe(baseline.connection);
  expect(server.auth.size).toBe(1);
});

test('close() releases every timer and stops following the store; sockets stay connected and new handshakes are refused', async () => {
  const store = new MemoryRevocationStore();
  const server = await startServer({ auth: { revocationStore: store, warnBeforeSec: 30 } });
  const token = await mint({ sub: 'alice' }, { ttlSec: 3600 });
  const timers = new TimerTracker().start();
  const sockets = await Promise.all([1, 2, 3].map(() => connectAs(server.url, token)));
  const cut = jest.fn();
  for (const socket of sockets) socket.on('auth:error', cut);

  // Connections stay open, so their engine timers stay: compare before and after. The sockets' deadlines share
  // one timer (core's deadline scheduler), which goes with the last of them.
  const liveBefore = await timers.liveCount();
  server.auth.close();
  await store.revokeSubject('alice');
  const liveAfter = await timers.liveCount();
  timers.stop();

  expect(server.auth.size).toBe(0);
  expect(liveBefore - liveAfter).toBe(1);
  await expect(connectAs(server.url, await mint({ sub: 'bob' }))).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE', action: 'retry' });
  // Still connected, but nothing is in force any more: events are refused.
  expect(await sockets[0]!.emitWithAck('whoami')).toMatchObject({ error: { code: 'AUTH_MISSING' } });
  expect(sockets.every((socket) => socket.connected)).toBe(true);
  expect(cut).not.toHaveBeenCalled();
});
