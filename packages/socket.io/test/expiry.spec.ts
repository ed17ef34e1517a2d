/**
 * Expiry over the wire, with real short-lived tokens (clock tolerance 0, so the deadline is `exp`):
 * `auth:expiring`, then `auth:error` AUTH_EXPIRED and a server disconnect; no event handled after the deadline;
 * the `graceSec` restricted state; and deadlines beyond Node's timer limit.
 */
import type { ExpiringPayload, RefreshAck } from '@sockauth/socket.io';
import { closeAll, connectAs, waitForExpiry, type ClientSocket } from '@sockauth/testing';
import { installApp } from '../../../test/support/app';
import { deferred, quietPeriod } from '../../../test/support/async';
import { client, nextEvent, record } from '../../../test/support/clients';
import { startServer } from '../../../test/support/servers';
import { TimerTracker } from '../../../test/support/timers';
import { expAtLeast, mint, nowSec } from '../../../test/support/tokens';

afterEach(closeAll);

const EVENTS = { whoami: null, tick: null, 'chat:send': 'chat:write' };

function refresh(socket: ClientSocket, token: string): Promise<RefreshAck> {
  return socket.emitWithAck('auth:refresh', { token });
}

test('an idle socket gets auth:expiring, then auth:error AUTH_EXPIRED at exp, then is disconnected by the server', async () => {
  const expired: unknown[] = [];
  const server = await startServer({ auth: { events: EVENTS, warnBeforeSec: 1, hooks: { onExpire: (info) => expired.push(info) } } });
  const exp = expAtLeast(1200);
  const socket = client(server.url, { auth: { token: await mint({ sub: 'alice' }, { exp }) } });
  const socketId = nextEvent(socket, 'connect').then(() => socket.id);
  const log = record(socket);
  const warning = nextEvent<ExpiringPayload>(socket, 'auth:expiring');
  const error = nextEvent(socket, 'auth:error');
  const reason = nextEvent(socket, 'disconnect');

  expect(await warning).toEqual({ expiresAt: exp * 1000, inMs: expect.any(Number) });
  expect((await warning).inMs).toBeGreaterThan(0);
  expect((await warning).inMs).toBeLessThanOrEqual(1000);
  expect(await error).toEqual({ code: 'AUTH_EXPIRED', action: 'refresh', message: expect.any(String) });
  expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
  expect(await reason).toBe('io server disconnect');

  expect(log.map((entry) => entry.kind)).toEqual(['auth:expiring', 'auth:error', 'disconnect']);
  expect(expired).toEqual([{ socketId: await socketId, namespace: '/', subject: 'alice' }]);
  expect(server.auth.size).toBe(0);
});

test('a socket sending events until its deadline has none let through at or after exp', async () => {
  // Recorded by an application middleware that runs right after sockauth's check, in the same synchronous chain:
  // its clock reading is the moment sockauth let the event through (the handler itself runs a tick later, so its
  // own reading may already be past a deadline the check was not).
  const accepted: { at: number; subject: string | undefined }[] = [];
  let handled = 0;
  const server = await startServer({
    auth: { events: EVENTS, warnBeforeSec: 0 },
    setup: (io) =>
      io.on('connection', (socket) => {
        socket.use((_packet, next) => {
          accepted.push({ at: Date.now(), subject: (socket.data as { auth?: { subject: string } }).auth?.subject });
          next();
        });
        socket.on('tick', (ack: (value: unknown) => void) => {
          handled++;
          ack({ ok: true });
        });
      }),
  });
  const exp = expAtLeast(700);
  const socket = await connectAs(server.url, await mint({ sub: 'alice' }, { exp }));
  const acks: unknown[] = [];

  // Ping-pong as fast as the loopback allows until the server cuts the socket.
  while (socket.connected) {
    try {
      acks.push(await socket.timeout(2000).emitWithAck('tick'));
    } catch {
      break;
    }
  }

  expect(await waitForExpiry(socket)).toMatchObject({ reason: 'io server disconnect' });
  expect(handled).toBeGreaterThan(10);
  expect(accepted).toHaveLength(handled);
  // sockauth refuses once Date.now() >= exp * 1000; this reading comes microseconds after its own.
  expect(Math.max(...accepted.map((run) => run.at))).toBeLessThanOrEqual(exp * 1000);
  expect(accepted.every((run) => run.subject === 'alice')).toBe(true);
  for (const ack of acks) {
    expect([{ ok: true }, { error: { code: 'AUTH_EXPIRED', action: 'refresh', message: expect.any(String) } }]).toContainEqual(ack);
  }
});

test('an event still being authorized when the deadline passes is refused, not handled', async () => {
  const hookEntered = deferred();
  const gate = deferred();
  const server = await startServer({
    auth: {
      events: { ...EVENTS, slow: null },
      warnBeforeSec: 0,
      graceSec: 2,
      authorize: async (_context, action) => {
        if (action === 'slow') {
          hookEntered.resolve();
          await gate.promise;
        }
        return true;
      },
    },
  });
  const log = installApp(server.io, server.auth, { events: ['slow'] });
  const exp = expAtLeast(300);
  const socket = await connectAs(server.url, await mint({ sub: 'alice' }, { exp }));
  const graceStarted = nextEvent<ExpiringPayload>(socket, 'auth:expiring');

  const ack = socket.emitWithAck('slow');
  await hookEntered.promise;
  // The grace period keeps the socket connected past the deadline, so only sockauth can refuse the event.
  expect((await graceStarted).graceEndsAt).toBeDefined();
  gate.resolve();

  expect(await ack).toEqual({ error: { code: 'AUTH_EXPIRED', action: 'refresh', message: expect.any(String) } });
  expect(log.count('slow')).toBe(0);
  expect(socket.connected).toBe(true);
});

describe('graceSec', () => {
  test('after the deadline every event is refused with AUTH_EXPIRED but the socket stays connected', async () => {
    const server = await startServer({ auth: { events: EVENTS, warnBeforeSec: 0, graceSec: 2 } });
    const log = installApp(server.io, server.auth);
    const exp = expAtLeast(300);
    const socket = await connectAs(server.url, await mint({ sub: 'alice', scope: 'chat:write' }, { exp }));
    const grace = nextEvent<ExpiringPayload>(socket, 'auth:expiring');

    expect(await grace).toEqual({ expiresAt: exp * 1000, inMs: 0, graceEndsAt: exp * 1000 + 2000 });
    const expiredAck = { error: { code: 'AUTH_EXPIRED', action: 'refresh', message: expect.any(String) } };
    expect(await socket.emitWithAck('chat:send', 'late')).toEqual(expiredAck);
    expect(await socket.emitWithAck('whoami')).toEqual(expiredAck);
    expect(await socket.emitWithAck('unlisted')).toEqual(expiredAck);

    expect(log.count()).toBe(0);
    expect(socket.connected).toBe(true);
    expect(server.auth.contextOf(server.io.sockets.sockets.get(socket.id!)!)).toBeUndefined();
  });

  test('auth:refresh during grace restores the socket: events are handled again and grace end no longer cuts it', async () => {
    const server = await startServer({ auth: { events: EVENTS, warnBeforeSec: 0, graceSec: 1 } });
    const log = installApp(server.io, server.auth);
    const exp = expAtLeast(300);
    const socket = await connectAs(server.url, await mint({ sub: 'alice', scope: 'chat:write' }, { exp }));
    const cut = jest.fn();
    socket.on('auth:error', cut);
    socket.on('disconnect', cut);

    const grace = await nextEvent<ExpiringPayload>(socket, 'auth:expiring');
    expect(await socket.emitWithAck('chat:send', 'refused')).toMatchObject({ error: { code: 'AUTH_EXPIRED' } });
    const renewedExp = nowSec() + 60;
    const ack = await refresh(socket, await mint({ sub: 'alice', scope: 'chat:write' }, { exp: renewedExp }));

    expect(ack).toEqual({ ok: true, expiresAt: renewedExp * 1000, version: 2 });
    expect(await socket.emitWithAck('chat:send', 'accepted')).toEqual({ ok: true, event: 'chat:send' });
    await quietPeriod(grace.graceEndsAt! - Date.now() + 200);
    expect(cut).not.toHaveBeenCalled();
    expect(socket.connected).toBe(true);
    expect(log.runs.map((run) => run.args[0])).toEqual(['accepted']);
  });

  test('a failed refresh during grace changes nothing: events stay refused', async () => {
    const server = await startServer({ auth: { events: EVENTS, warnBeforeSec: 0, graceSec: 2 } });
    const log = installApp(server.io, server.auth);
    const socket = await connectAs(server.url, await mint({ sub: 'alice', scope: 'chat:write' }, { exp: expAtLeast(300) }));
    await nextEvent(socket, 'auth:expiring');

    expect(await refresh(socket, 'garbage')).toEqual({ ok: false, error: { code: 'AUTH_INVALID', action: 'login', message: expect.any(String) } });
    expect(await refresh(socket, await mint({ sub: 'mallory', scope: 'chat:write' }))).toMatchObject({
      ok: false,
      error: { code: 'AUTH_IDENTITY_MISMATCH', action: 'login' },
    });
    expect(await socket.emitWithAck('chat:send')).toMatchObject({ error: { code: 'AUTH_EXPIRED' } });
    expect(log.count()).toBe(0);
  });

  test('the end of the grace period sends auth:error AUTH_EXPIRED and disconnects', async () => {
    const expired: unknown[] = [];
    const server = await startServer({ auth: { events: EVENTS, warnBeforeSec: 0, graceSec: 1, hooks: { onExpire: (info) => expired.push(info) } } });
    const socket = await connectAs(server.url, await mint({ sub: 'alice' }, { exp: expAtLeast(200) }));
    const socketId = socket.id;
    const log = record(socket);
    const reason = nextEvent(socket, 'disconnect');

    const grace = await nextEvent<ExpiringPayload>(socket, 'auth:expiring');

    expect(await reason).toBe('io server disconnect');
    expect(Date.now()).toBeGreaterThanOrEqual(grace.graceEndsAt!);
    expect(log.map((entry) => [entry.kind, entry.args[0]])).toEqual([
      ['auth:expiring', grace],
      ['auth:error', { code: 'AUTH_EXPIRED', action: 'refresh', message: expect.any(String) }],
      ['disconnect', 'io server disconnect'],
    ]);
    expect(expired).toEqual([{ socketId, namespace: '/', subject: 'alice' }]);
    expect(server.auth.size).toBe(0);
  });
});

test('a refresh after auth:expiring moves the deadline: the old exp passes without a cut', async () => {
  const server = await startServer({ auth: { events: EVENTS, warnBeforeSec: 1 } });
  installApp(server.io, server.auth);
  const exp = expAtLeast(1200);
  const socket = await connectAs(server.url, await mint({ sub: 'alice' }, { exp }));
  const cut = jest.fn();
  socket.on('auth:error', cut);
  socket.on('disconnect', cut);

  await nextEvent(socket, 'auth:expiring');
  const renewed = nowSec() + 60;
  expect(await refresh(socket, await mint({ sub: 'alice' }, { exp: renewed }))).toEqual({ ok: true, expiresAt: renewed * 1000, version: 2 });
  await quietPeriod(exp * 1000 - Date.now() + 200);

  expect(cut).not.toHaveBeenCalled();
  expect((await socket.emitWithAck('whoami')).expiresAt).toBe(renewed * 1000);
});

test('a token already inside the warning window gets auth:expiring right after connecting', async () => {
  const server = await startServer({ auth: { events: EVENTS, warnBeforeSec: 120 } });
  const exp = nowSec() + 60;
  const socket = client(server.url, { auth: { token: await mint({ sub: 'alice' }, { exp }) } });

  const warning = await nextEvent<ExpiringPayload>(socket, 'auth:expiring');

  expect(warning.expiresAt).toBe(exp * 1000);
  expect(warning.inMs).toBeGreaterThan(55_000);
  expect(warning.inMs).toBeLessThanOrEqual(60_000);
  expect(socket.connected).toBe(true);
});

test('a 30-day token (beyond the 24.8-day timer limit) keeps its socket connected with its real deadline', async () => {
  const server = await startServer({ auth: { events: EVENTS } });
  installApp(server.io, server.auth);
  const exp = nowSec() + 30 * 24 * 3600;
  const socket = await connectAs(server.url, await mint({ sub: 'alice' }, { exp }));
  const early = jest.fn();
  socket.on('auth:expiring', early);
  socket.on('auth:error', early);
  socket.on('disconnect', early);

  // A deadline handed to setTimeout unclamped would fire after 1 ms (and keep firing): count timers meanwhile.
  const timers = new TimerTracker().start();
  await quietPeriod(300);
  timers.stop();

  expect(timers.created).toBeLessThan(20);
  expect(early).not.toHaveBeenCalled();
  expect(socket.connected).toBe(true);
  expect((await socket.emitWithAck('whoami')).expiresAt).toBe(exp * 1000);
  expect(server.auth.size).toBe(1);
});
