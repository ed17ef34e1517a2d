/**
 * Anonymous sockets over the wire: sockets admitted without authentication on purpose (Socket.IO `skipNamespaces`,
 * a Nest `@Public()` gateway on either platform) are reported to `onAnonymous` (connected, then disconnected)
 * and move `sockauth_anonymous_sockets` up and back down; authenticated sockets never do.
 */
import { WebSocketGateway, SubscribeMessage } from '@nestjs/websockets';
import client, { Registry } from 'prom-client';
import type { AnonymousInfo, SessionHooks } from '@sockauth/core';
import { combineHooks, prometheusHooks } from '@sockauth/metrics';
import { Public, SockAuthModule } from '@sockauth/nestjs';
import { SockAuthWsAdapter } from '@sockauth/nestjs/ws';
import { closeAll } from '@sockauth/testing';
import { connect, nextEvent } from '../../../test/support/clients';
import { startNestApp } from '../../../test/support/nest';
import { startServer } from '../../../test/support/servers';
import { AUDIENCE, ISSUER, SECRET, mint } from '../../../test/support/tokens';
import { TestClient, connectWs } from '../../ws/test/support';

afterEach(closeAll);

/** Recording hooks and a registry; `gauge()` reads `sockauth_anonymous_sockets`, `next(phase)` awaits a report. */
function observed() {
  const calls: AnonymousInfo[] = [];
  const waiting: { phase: AnonymousInfo['phase']; resolve: (info: AnonymousInfo) => void }[] = [];
  const registry = new Registry();
  const hooks: SessionHooks = combineHooks(prometheusHooks({ client, registry }), {
    onAnonymous: (info) => {
      calls.push(info);
      const index = waiting.findIndex((w) => w.phase === info.phase);
      if (index !== -1) waiting.splice(index, 1)[0]!.resolve(info);
    },
  });
  const gauge = async () => (await registry.getSingleMetricAsString('sockauth_anonymous_sockets')).split('\n').find((l) => l.startsWith('sockauth_anonymous_sockets '));
  const next = (phase: AnonymousInfo['phase']) => new Promise<AnonymousInfo>((resolve) => waiting.push({ phase, resolve }));
  return { calls, hooks, gauge, next };
}

test('Socket.IO: a socket of a skipNamespaces namespace is reported connected, then disconnected; the gauge follows', async () => {
  const o = observed();
  // One open namespace that exists when sockauth attaches, one created afterwards.
  const server = await startServer({
    auth: { hooks: o.hooks, skipNamespaces: ['/public', '/later'] },
    beforeAttach: (io) => void io.of('/public'),
    setup: (io) => void io.of('/later'),
  });
  const user = await connect(server.url, { auth: { token: await mint({ sub: 'alice' }) } });
  for (const namespace of ['/public', '/later']) {
    const connected = o.next('connected');
    const guest = await connect(`${server.url}${namespace}`);
    const info = await connected;
    expect(info).toEqual({ socketId: guest.id, namespace, phase: 'connected' });
    expect(await o.gauge()).toBe('sockauth_anonymous_sockets 1');

    const disconnected = o.next('disconnected');
    guest.disconnect();
    await expect(disconnected).resolves.toEqual({ ...info, phase: 'disconnected' });
    expect(await o.gauge()).toBe('sockauth_anonymous_sockets 0');
  }
  // The authenticated socket is not anonymous, on connect or on leaving.
  const gone = nextEvent(server.io, 'connection');
  user.disconnect();
  const late = await connect(server.url, { auth: { token: await mint({ sub: 'bob' }) } });
  await gone;
  late.disconnect();
  expect(o.calls.map((c) => c.phase)).toEqual(['connected', 'disconnected', 'connected', 'disconnected']);
});

@Public()
@WebSocketGateway({ path: '/status' })
class StatusGateway {
  @SubscribeMessage('ping')
  ping() {
    return 'pong';
  }
}

/** The same public gateway on Socket.IO: its namespace joins `skipNamespaces`. */
@Public()
@WebSocketGateway({ namespace: '/status' })
class StatusIoGateway {
  @SubscribeMessage('ping')
  ping() {
    return 'pong';
  }
}

@WebSocketGateway({ path: '/ws' })
class PrivateGateway {
  @SubscribeMessage('whoami')
  whoami() {
    return 'you';
  }
}

test('Nest on platform-ws: a client of a @Public() gateway is reported under its path; the gauge follows', async () => {
  const o = observed();
  const nest = await startNestApp(
    {
      imports: [SockAuthModule.forRoot({ verifier: { algorithms: ['HS256'], secret: SECRET, issuer: ISSUER, audience: AUDIENCE }, hooks: o.hooks })],
      providers: [StatusGateway, PrivateGateway],
    },
    { configure: (app) => app.useWebSocketAdapter(new SockAuthWsAdapter(app)) },
  );
  const base = nest.url.replace(/^http/, 'ws');
  const user = await connectWs(`${base}/ws`, await mint({ sub: 'alice' }));
  expect(await user.request('whoami')).toBe('you');
  const connected = o.next('connected');
  const guest = new TestClient(`${base}/status`);
  await guest.opened;
  expect(await guest.request('ping')).toBe('pong');
  await expect(connected).resolves.toEqual({ socketId: expect.stringMatching(/^ws-anon-/), namespace: '/status', phase: 'connected' });
  expect(await o.gauge()).toBe('sockauth_anonymous_sockets 1');

  const disconnected = o.next('disconnected');
  guest.ws.close();
  await expect(disconnected).resolves.toEqual({ ...o.calls[0], phase: 'disconnected' });
  expect(await o.gauge()).toBe('sockauth_anonymous_sockets 0');
  user.ws.close();
  await user.closed;
  expect(o.calls.map((c) => c.phase)).toEqual(['connected', 'disconnected']);
});

test('Nest on Socket.IO: a socket of a @Public() gateway namespace is reported; the gauge follows', async () => {
  const o = observed();
  const nest = await startNestApp({
    imports: [SockAuthModule.forRoot({ verifier: { algorithms: ['HS256'], secret: SECRET, issuer: ISSUER, audience: AUDIENCE }, hooks: o.hooks })],
    providers: [StatusIoGateway],
  });
  const connected = o.next('connected');
  const guest = await connect(`${nest.url}/status`);
  await expect(guest.timeout(3_000).emitWithAck('ping')).resolves.toBe('pong');
  await expect(connected).resolves.toEqual({ socketId: guest.id, namespace: '/status', phase: 'connected' });
  expect(await o.gauge()).toBe('sockauth_anonymous_sockets 1');
  const disconnected = o.next('disconnected');
  guest.disconnect();
  await disconnected;
  expect(await o.gauge()).toBe('sockauth_anonymous_sockets 0');
});
