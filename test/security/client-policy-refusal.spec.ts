/**
 * A handshake refused by policy, over the wire, against both adapters and a real `@sockauth/client`: the identity
 * is fine but this connection is not allowed (a suspended tenant, a banned user, too many sockets). sockauth
 * refuses with `AUTH_FORBIDDEN` / action `none`, and the client stops at once, in state `forbidden`, with one
 * `forbidden` event: no backoff loop, no token refresh, nothing until the app acts and calls `connect()`.
 * Every other refusal is handled once, by its action, and a refusal the client does not understand is retried a
 * bounded number of times.
 */
import { PassportModule } from '@nestjs/passport';
import { createAuthClient, isAuthError, type AuthClient, type AuthClientOptions } from '@sockauth/client';
import {
  AUTH_ACTIONS,
  AuthForbiddenError,
  createAuthError,
  defaultMapClaims,
  type AuthErrorCode,
  type ClaimsMapper,
} from '@sockauth/core';
import { SockAuthModule } from '@sockauth/nestjs';
import { ADAPTERS, type AdapterServer } from '../support/adapters';
import { quietPeriod } from '../support/async';
import { closeAfterTest } from '@sockauth/testing';
import { claimsFor, nowSec, signHs } from '../support/hostile-tokens';
import { startNestApp } from '../support/nest';
import { startServer } from '../support/servers';
import { mint } from '../support/tokens';
import { reach } from '../client/support';
import { JwtStrategy, ProfileGateway } from '../../packages/nestjs/test/fixtures';
import { refusal, useHarness, type Harness } from './harness';

const h = useHarness();

/** Short, jittered backoff: a client that wrongly retries makes many attempts within {@link QUIET_MS}. */
const BACKOFF = { baseMs: 10, capMs: 20, maxAttempts: 50 } as const;
/** How long nothing may happen once the client is at rest: many backoff periods. */
const QUIET_MS = 300;

interface Watched {
  readonly client: AuthClient;
  readonly refresh: jest.Mock<Promise<string>, []>;
  /** Every `forbidden`, `unauthenticated` and `error` event, in order, as `[event, code, action]`. */
  readonly events: Array<[string, string, string]>;
}

/** A real client over websocket, its events recorded, its socket watched for leaks, closed after each test. */
function watchedClient(url: string, getToken: () => string, refreshTo: () => Promise<string>, options: Partial<AuthClientOptions> = {}): Watched {
  const refresh = jest.fn(refreshTo);
  const client = createAuthClient({ url, io: { transports: ['websocket'] }, getToken, refresh, backoff: BACKOFF, ...options });
  closeAfterTest(() => client.close());
  h.log.watch(client.socket as never, 'auth-client');
  const events: Array<[string, string, string]> = [];
  for (const event of ['forbidden', 'unauthenticated', 'error'] as const) {
    client.on(event, (error) => {
      expect(isAuthError(error)).toBe(true);
      events.push([event, error.code, error.action]);
    });
  }
  return { client, refresh, events };
}

/** Handshakes the server saw (refused or accepted), from sockauth's own hooks. */
function handshakes(harness: Harness): number {
  return [...harness.log.of('hook:onAuthFailure'), ...harness.log.of('hook:onAuthenticated')]
    .map((text) => JSON.parse(text) as { stage: string })
    .filter((info) => info.stage === 'handshake').length;
}

/** A mapper that refuses every connection with `code`, as an application's policy would. */
function refusingWith(code: AuthErrorCode): ClaimsMapper {
  return () => {
    throw createAuthError(code, 'refused by the application');
  };
}

/** The events of a client the server stopped with `code`: `error`, then `stopped` (`forbidden`/`unauthenticated`). */
function stoppedBy(stopped: 'forbidden' | 'unauthenticated', code: AuthErrorCode): Array<[string, string, string]> {
  return [
    ['error', code, AUTH_ACTIONS[code]],
    [stopped, code, AUTH_ACTIONS[code]],
  ];
}

describe.each(ADAPTERS)('%s: a handshake refused by policy (mapClaims throws AuthForbiddenError)', (_name, start) => {
  let server: AdapterServer;
  let suspended: boolean;
  let token: string;

  beforeEach(async () => {
    suspended = true;
    server = await h.start(start, {
      auth: {
        mapClaims: (claims) => {
          if (suspended && claims['tenant'] === 'acme') throw new AuthForbiddenError('tenant suspended');
          return defaultMapClaims(claims);
        },
      },
    });
    token = h.secret(await signHs(h.keys, claimsFor('alice', { tenant: 'acme' })));
  });

  test('the wire says AUTH_FORBIDDEN / none', async () => {
    const error = await h.refused(server.url, { auth: { token } });
    expect(error.data).toEqual(refusal('AUTH_FORBIDDEN'));
  });

  test('the client makes one attempt, stops in `forbidden`, tells the app once, refreshes nothing, retries nothing', async () => {
    const { client, refresh, events } = watchedClient(server.url, () => token, async () => token);
    await reach(client, 'forbidden');
    expect(client.status).toMatchObject({ state: 'forbidden', retryAt: undefined, refreshAt: undefined, socketId: undefined });
    expect(client.status.error).toBeInstanceOf(AuthForbiddenError);
    expect(client.socket.active).toBe(false);

    await quietPeriod(QUIET_MS);
    expect(handshakes(h)).toBe(1);
    expect(events).toEqual(stoppedBy('forbidden', 'AUTH_FORBIDDEN'));
    expect(refresh).not.toHaveBeenCalled();
    expect(client.state).toBe('forbidden');
    await expect(client.emitWithAck('whoami')).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN', action: 'none' });
    await expect(client.refreshNow()).resolves.toBe(false);
    expect(refresh).not.toHaveBeenCalled();
    expect(handshakes(h)).toBe(1);
  });

  test('once the app acted (the tenant is back), connect() makes one new attempt and it succeeds', async () => {
    const { client, events } = watchedClient(server.url, () => token, async () => token);
    await reach(client, 'forbidden');
    suspended = false;
    client.connect();
    await reach(client, 'authenticated');
    await expect(client.emitWithAck('whoami')).resolves.toMatchObject({ ok: true, subject: 'alice' });
    expect(handshakes(h)).toBe(2);
    expect(events.filter(([event]) => event === 'forbidden')).toHaveLength(1);
  });

  test('still suspended: connect() makes exactly one more attempt and tells the app once more', async () => {
    const { client, events } = watchedClient(server.url, () => token, async () => token);
    await reach(client, 'forbidden');
    client.connect();
    expect(client.state).toBe('connecting');
    await reach(client, 'forbidden');
    await quietPeriod(QUIET_MS);
    expect(handshakes(h)).toBe(2);
    expect(events.filter(([event]) => event === 'forbidden')).toHaveLength(2);
  });
});

describe.each(ADAPTERS)('%s: every other handshake refusal is handled once, by its action', (_name, start) => {
  test('login (AUTH_REVOKED from the application): one attempt, `unauthenticated` once, no refresh', async () => {
    const server = await h.start(start, { auth: { mapClaims: refusingWith('AUTH_REVOKED') } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice')));
    const { client, refresh, events } = watchedClient(server.url, () => token, async () => token);
    await reach(client, 'unauthenticated');
    await quietPeriod(QUIET_MS);
    expect(handshakes(h)).toBe(1);
    expect(events).toEqual(stoppedBy('unauthenticated', 'AUTH_REVOKED'));
    expect(refresh).not.toHaveBeenCalled();
  });

  test('refresh (an expired token): one refresh(), one reconnection with the fresh token, authenticated', async () => {
    const server = await h.start(start);
    const now = nowSec();
    const expired = h.secret(await signHs(h.keys, claimsFor('alice', { iat: now - 120, exp: now - 60 })));
    const fresh = h.secret(await signHs(h.keys, claimsFor('alice')));
    let current = expired;
    const { client, refresh, events } = watchedClient(server.url, () => current, async () => (current = fresh));
    await reach(client, 'authenticated');
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(handshakes(h)).toBe(2);
    expect(events).toEqual([['error', 'AUTH_EXPIRED', 'refresh']]);
  });

  test('retry (AUTH_UNAVAILABLE): backs off and reconnects, a bounded number of times, then `disconnected`', async () => {
    const server = await h.start(start, { auth: { mapClaims: refusingWith('AUTH_UNAVAILABLE') } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice')));
    const { client, refresh, events } = watchedClient(server.url, () => token, async () => token, {
      backoff: { ...BACKOFF, maxAttempts: 3 },
    });
    await reach(client, 'disconnected');
    await quietPeriod(QUIET_MS);
    expect(handshakes(h)).toBe(4);
    expect(events).toEqual(Array.from({ length: 4 }, () => ['error', 'AUTH_UNAVAILABLE', 'retry']));
    expect(refresh).not.toHaveBeenCalled();
    expect(client.status.error).toMatchObject({ code: 'AUTH_UNAVAILABLE' });
  });
});

describe('refusals the client does not understand: bounded retries, never a terminal auth state', () => {
  test.each([
    ['a code and an action from a newer server', { code: 'AUTH_TENANT_SUSPENDED', action: 'contact-admin' }],
    ['a code from a newer server, even with action none', { code: 'AUTH_TENANT_SUSPENDED', action: 'none' }],
    ['an app middleware’s plain Error', undefined],
  ])('%s: retried with backoff, maxAttempts times, then `disconnected`', async (_what, data) => {
    let attempts = 0;
    const server = await startServer({
      attach: false,
      setup: (io) =>
        io.use((_socket, next) => {
          attempts++;
          next(Object.assign(new Error('refused'), data === undefined ? {} : { data }));
        }),
    });
    const token = await mint({ sub: 'alice' });
    const { client, refresh, events } = watchedClient(server.url, () => token, async () => token, {
      backoff: { ...BACKOFF, maxAttempts: 3 },
    });
    await reach(client, 'disconnected');
    await quietPeriod(QUIET_MS);
    expect(attempts).toBe(4);
    expect(events).toEqual([]);
    expect(refresh).not.toHaveBeenCalled();
  });
});

describe('@sockauth/nestjs with a passport strategy whose validate() throws ForbiddenException', () => {
  test('the handshake is refused as a policy refusal (AUTH_FORBIDDEN / none) and the client stops in `forbidden`', async () => {
    const { url } = await startNestApp({
      imports: [PassportModule, SockAuthModule.forRoot({ passport: { strategy: JwtStrategy } })],
      providers: [JwtStrategy, ProfileGateway],
    });
    const token = h.secret(await mint({ sub: 'suspended-1' }));
    const error = await h.refused(url, { auth: { token } });
    expect(error.data).toEqual(refusal('AUTH_FORBIDDEN'));

    const { client, refresh, events } = watchedClient(url, () => token, async () => token);
    await reach(client, 'forbidden');
    await quietPeriod(QUIET_MS);
    expect(events).toEqual(stoppedBy('forbidden', 'AUTH_FORBIDDEN'));
    expect(refresh).not.toHaveBeenCalled();
  });
});
