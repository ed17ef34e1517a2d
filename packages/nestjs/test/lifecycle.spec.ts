import { Body, Controller, Inject, Post } from '@nestjs/common';
import { SockAuthService } from '@sockauth/nestjs';
import { connectAs, createSockAuthTestingApp, waitForCut, waitForExpiry } from '@sockauth/testing';
import { settle } from '../../../test/support/async';
import { nextEvent } from '../../../test/support/clients';
import { TimerTracker } from '../../../test/support/timers';
import { expAtLeast, nowSec } from '../../../test/support/tokens';
import { AdminGateway, ChatGateway, LobbyGateway } from './fixtures';

/** Revocation over HTTP, as an admin endpoint of an application would do it. */
@Controller('admin')
class RevokeController {
  constructor(@Inject(SockAuthService) private readonly sockAuth: SockAuthService) {}
  @Post('revoke')
  revoke(@Body() body: { subject: string }) {
    return this.sockAuth.revoke({ subject: body.subject });
  }
}

function start(warnBeforeSec = 30) {
  return createSockAuthTestingApp(
    { controllers: [RevokeController], providers: [ChatGateway, AdminGateway] },
    { sockAuth: { warnBeforeSec } },
  );
}

describe('expiry', () => {
  test('a socket is warned with auth:expiring, then gets auth:error AUTH_EXPIRED and is disconnected', async () => {
    const { url, issuer } = await start(1);
    const exp = expAtLeast(1500);
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read', exp }, { issuer });
    const expiring = nextEvent<{ expiresAt: number; inMs: number }>(alice, 'auth:expiring');
    await expect(expiring).resolves.toEqual({ expiresAt: exp * 1000, inMs: expect.any(Number) });
    await expect(alice.emitWithAck('history')).resolves.toEqual({ ok: true, messages: [] });
    await expect(waitForExpiry(alice)).resolves.toEqual({
      error: { code: 'AUTH_EXPIRED', action: 'refresh', message: expect.any(String) },
      reason: 'io server disconnect',
    });
  });

  test('a re-auth before the deadline keeps the socket past the old deadline', async () => {
    const { url, issuer } = await start(1);
    const firstExp = expAtLeast(1500);
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read', exp: firstExp, iat: nowSec() - 1 }, { issuer });
    await nextEvent(alice, 'auth:expiring');
    const ack = await alice.emitWithAck('auth:refresh', { token: await issuer.mint({ sub: 'alice', scope: 'chat:read', exp: firstExp + 2 }) });
    expect(ack).toEqual({ ok: true, expiresAt: (firstExp + 2) * 1000, version: 2 });
    // The new token's warning comes one second after the old deadline: the socket is still served then.
    await expect(nextEvent(alice, 'auth:expiring')).resolves.toMatchObject({ expiresAt: (firstExp + 2) * 1000 });
    expect(Date.now()).toBeGreaterThan(firstExp * 1000);
    expect(alice.connected).toBe(true);
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice', version: 2 });
  });
});

describe('re-authentication with auth:refresh', () => {
  test('a successful re-auth bumps the version and the new permissions apply to the next message', async () => {
    const { url, issuer } = await start();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read', sid: 's1', iat: nowSec() - 10 }, { issuer });
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ version: 1, permissions: ['chat:read'] });
    await expect(alice.emitWithAck('chat:send', { text: 'x' })).resolves.toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });

    const ack = await alice.emitWithAck('auth:refresh', { token: await issuer.mint({ sub: 'alice', scope: 'chat:read chat:write', sid: 's1' }) });
    expect(ack).toEqual({ ok: true, expiresAt: expect.any(Number), version: 2 });
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ version: 2, permissions: ['chat:read', 'chat:write'] });
    await expect(alice.emitWithAck('chat:send', { text: 'x' })).resolves.toEqual({ ok: true, text: 'x' });
  });

  test('a token of another subject or session is refused with AUTH_IDENTITY_MISMATCH and changes nothing', async () => {
    const { url, issuer } = await start();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read', sid: 's1', iat: nowSec() - 10 }, { issuer });
    const otherUser = await alice.emitWithAck('auth:refresh', { token: await issuer.mint({ sub: 'mallory', scope: 'chat:read', sid: 's1' }) });
    expect(otherUser).toEqual({ ok: false, error: { code: 'AUTH_IDENTITY_MISMATCH', action: 'login', message: expect.any(String) } });
    const otherSession = await alice.emitWithAck('auth:refresh', { token: await issuer.mint({ sub: 'alice', scope: 'chat:read', sid: 's2' }) });
    expect(otherSession).toMatchObject({ ok: false, error: { code: 'AUTH_IDENTITY_MISMATCH' } });
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice', version: 1 });
  });

  test('a token older than the one in force is refused with AUTH_STALE', async () => {
    const { url, issuer } = await start();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    const stale = await alice.emitWithAck('auth:refresh', { token: await issuer.mint({ sub: 'alice', scope: 'chat:*', iat: nowSec() - 30 }) });
    expect(stale).toEqual({ ok: false, error: { code: 'AUTH_STALE', action: 'refresh', message: expect.any(String) } });
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ permissions: ['chat:read'], version: 1 });
  });

  test('an invalid refresh token is refused and the socket keeps its context', async () => {
    const { url, issuer } = await start();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(alice.emitWithAck('auth:refresh', { token: 'garbage' })).resolves.toMatchObject({ ok: false, error: { code: 'AUTH_INVALID' } });
    await expect(alice.emitWithAck('history')).resolves.toEqual({ ok: true, messages: [] });
  });
});

describe('revocation through SockAuthService', () => {
  test('revoking a subject cuts its sockets in every namespace with auth:error AUTH_REVOKED', async () => {
    const { url, app, issuer } = await start();
    const token = await issuer.mint({ sub: 'alice', scope: 'chat:read', iat: nowSec() - 1 });
    const root = await connectAs(url, token);
    const admin = await connectAs(url, token, { namespace: '/admin' });
    const bob = await connectAs(url, { sub: 'bob', scope: 'chat:read' }, { issuer });

    await expect(app.get(SockAuthService).revoke({ subject: 'alice' })).resolves.toEqual({ disconnected: 2 });
    for (const socket of [root, admin]) {
      await expect(waitForCut(socket)).resolves.toEqual({
        error: { code: 'AUTH_REVOKED', action: 'login', message: expect.any(String) },
        reason: 'io server disconnect',
      });
    }
    await expect(bob.emitWithAck('history')).resolves.toEqual({ ok: true, messages: [] });
    await expect(connectAs(url, token)).rejects.toMatchObject({ code: 'AUTH_REVOKED', action: 'login' });
  });

  test('an injected SockAuthService revokes from an HTTP controller', async () => {
    const { url, issuer } = await start();
    const carol = await connectAs(url, { sub: 'carol', scope: 'chat:read', iat: nowSec() - 1 }, { issuer });
    const response = await fetch(`${url}/admin/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'carol' }),
    });
    await expect(response.json()).resolves.toEqual({ disconnected: 1 });
    await expect(carol).toBeDisconnectedWith('AUTH_REVOKED');
  });

  test('revoking a session leaves the subject’s other sessions connected', async () => {
    const { url, app, issuer } = await start();
    const laptop = await connectAs(url, { sub: 'dan', scope: 'chat:read', sid: 'laptop' }, { issuer });
    const phone = await connectAs(url, { sub: 'dan', scope: 'chat:read', sid: 'phone' }, { issuer });
    await expect(app.get(SockAuthService).revoke({ sessionId: 'laptop' })).resolves.toEqual({ disconnected: 1 });
    await expect(waitForCut(laptop)).resolves.toMatchObject({ reason: 'io server disconnect' });
    await expect(phone.emitWithAck('history')).resolves.toEqual({ ok: true, messages: [] });
  });

  test('SockAuthService.authenticate agrees with the handshake, revocations included', async () => {
    const { app, issuer } = await start();
    const service = app.get(SockAuthService);
    const token = await issuer.mint({ sub: 'erin', scope: 'chat:admin', iat: nowSec() - 1 });
    await expect(service.authenticate(token)).resolves.toMatchObject({ subject: 'erin' });
    await service.revoke({ subject: 'erin' });
    await expect(service.authenticate(token)).rejects.toMatchObject({ code: 'AUTH_REVOKED' });
  });
});

describe('shutdown', () => {
  test('app.close() leaves no open handles behind', async () => {
    const baseline = count(process.getActiveResourcesInfo());
    const timers = new TimerTracker().start();
    try {
      const { url, issuer, close } = await createSockAuthTestingApp(
        { providers: [LobbyGateway] },
        { sockAuth: { warnBeforeSec: 30 } },
      );
      const alice = await connectAs(url, { sub: 'alice', ttlSec: 3600 }, { issuer });
      await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice' });
      const gone = nextEvent(alice, 'disconnect');
      await close();
      await gone;
      alice.close();
      // Sockets finish closing over a few turns of the event loop.
      for (let turn = 0; turn < 1000 && !noMoreThan(count(process.getActiveResourcesInfo()), baseline); turn++) await settle();
      const after = count(process.getActiveResourcesInfo());
      // Servers, sockets and ref'd timers: none more than before the application started.
      for (const type of Object.keys(after)) expect({ type, count: after[type] }).toEqual({ type, count: Math.min(after[type]!, baseline[type] ?? 0) });
      // Unref'd timers too (sockauth's expiry timers are unref'd, so Node does not list them).
      expect(await timers.liveCount()).toBe(0);
    } finally {
      timers.stop();
    }
  });
});

function count(resources: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of resources) if (type !== 'TTYWrap') counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

function noMoreThan(counts: Record<string, number>, limits: Record<string, number>): boolean {
  return Object.keys(counts).every((type) => counts[type]! <= (limits[type] ?? 0));
}
