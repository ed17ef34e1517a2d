/**
 * `SockAuthModule`'s `heartbeat` on @nestjs/platform-ws: a real Nest application (`@nestjs/testing`, port 0) with
 * SockAuthWsAdapter and real `ws` clients. A client that stops answering pings is terminated and its session
 * released (`onRelease`; no live session left); `heartbeat: false` pings nobody; an invalid value fails the start-up with a
 * TypeError naming the module's option.
 */
import { Inject } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { ReleaseReason } from '@sockauth/core';
import { SockAuthModule, SockAuthService, type SockAuthModuleOptions } from '@sockauth/nestjs';
import { SockAuthWsAdapter } from '@sockauth/nestjs/ws';
import { closeAll } from '@sockauth/testing';
import type { WebSocket } from 'ws';
import { TestClient } from '../../ws/test/support';
import { createNestApp, startNestApp } from '../../../test/support/nest';
import { AUDIENCE, ISSUER, SECRET, mint } from '../../../test/support/tokens';

afterEach(closeAll);

const INTERVAL_MS = 200;
const VERIFIER = { algorithms: ['HS256'], secret: SECRET, issuer: ISSUER, audience: AUDIENCE } as const;

@WebSocketGateway({ path: '/ws' })
class LobbyGateway {
  constructor(@Inject(SockAuthService) private readonly sockAuth: SockAuthService) {}

  @SubscribeMessage('join')
  async join(client: WebSocket) {
    await this.sockAuth.join(client, 'lobby');
    return { ok: true };
  }
}

/** A Nest app on SockAuthWsAdapter with `heartbeat`, and a client (answering pings or not) in room `lobby`. */
async function joined(heartbeat: SockAuthModuleOptions['heartbeat'], autoPong = false) {
  let released!: (reason: ReleaseReason) => void;
  const release = new Promise<ReleaseReason>((resolve) => (released = resolve));
  // Live sessions, from the hooks: +1 when authenticated and connected, -1 when released.
  const sessions = { live: 0 };
  const options: SockAuthModuleOptions = {
    verifier: VERIFIER,
    rooms: { lobby: null },
    hooks: {
      onAuthenticated: () => void sessions.live++,
      onRelease: ({ reason }) => {
        sessions.live--;
        released(reason);
      },
    },
    ...(heartbeat !== undefined && { heartbeat }),
  };
  const nest = await startNestApp(
    { imports: [SockAuthModule.forRoot(options)], providers: [LobbyGateway] },
    { configure: (app) => app.useWebSocketAdapter(new SockAuthWsAdapter(app)) },
  );
  const url = `${nest.url.replace(/^http/, 'ws')}/ws`;
  const client = new TestClient(url, { headers: { authorization: `Bearer ${await mint({ sub: 'alice' })}` }, autoPong });
  await client.opened;
  expect(await client.request('join')).toEqual({ ok: true });
  expect(sessions.live).toBe(1);
  return { sessions, client, release };
}

describe('SockAuthModule heartbeat on platform-ws', () => {
  test('a client that stops answering pings is terminated and its session released', async () => {
    const { sessions, client, release } = await joined({ intervalMs: INTERVAL_MS });
    const pinged = jest.fn();
    client.ws.on('ping', pinged);
    const close = await client.closed;
    // terminate(): no close frame, the TCP connection is destroyed, after at least one unanswered ping.
    expect(close.code).toBe(1006);
    expect(pinged).toHaveBeenCalled();
    expect(await release).toBe('disconnect');
    expect(sessions.live).toBe(0);
  });

  test('a client that answers stays connected and authenticated across pings', async () => {
    const { sessions, client } = await joined({ intervalMs: INTERVAL_MS }, true);
    await new Promise<void>((resolve) => {
      let seen = 0;
      client.ws.on('ping', () => ++seen === 4 && resolve());
    });
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(await client.request('join')).toEqual({ ok: true });
    expect(sessions.live).toBe(1);
  });

  test('heartbeat: false pings nobody: a silent client outlives a heartbeat app’s timeout', async () => {
    const off = await joined(false);
    const offPings = jest.fn();
    off.client.ws.on('ping', offPings);
    // A second app with the heartbeat on: once its silent client is terminated, two intervals have passed.
    const on = await joined({ intervalMs: INTERVAL_MS });
    await on.client.closed;
    expect(offPings).not.toHaveBeenCalled();
    expect(off.client.ws.readyState).toBe(off.client.ws.OPEN);
    expect(off.sessions.live).toBe(1);
  });

  test.each([
    ['a string', 'yes'],
    ['an interval below the bound', { intervalMs: 99 }],
    ['an unknown key', { interval: 1_000 }],
  ])('%s is a TypeError at start-up naming SockAuthModule options.heartbeat', async (_name, heartbeat) => {
    const app = await createNestApp({ imports: [SockAuthModule.forRoot({ verifier: VERIFIER, heartbeat: heartbeat as never })], providers: [LobbyGateway] });
    app.useWebSocketAdapter(new SockAuthWsAdapter(app));
    const started = app.init();
    await expect(started).rejects.toThrow(TypeError);
    await expect(started).rejects.toThrow(/SockAuthModule options\.heartbeat/);
  });
});
