import { UseGuards } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { AuthorizeHook } from '@sockauth/core';
import {
  RequirePermissions,
  WsAuthExceptionFilter,
  WsAuthGuard,
  type SockAuthModuleOptions,
} from '@sockauth/nestjs';
import { record } from '../../../test/support/clients';
import { closeAll, connectAs, createSockAuthTestingApp } from '@sockauth/testing';
import { ChatGateway, GloballyGuardedGateway, HandlerGuardedGateway, HealthController } from './fixtures';

afterEach(closeAll);

const forbidden = { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) } };

function startChat(extra: Partial<SockAuthModuleOptions> = {}) {
  return createSockAuthTestingApp({ providers: [ChatGateway] }, { sockAuth: extra });
}

describe('WsAuthGuard on a gateway', () => {
  test('a handler runs when the context satisfies the gateway-level requirement', async () => {
    const { url, issuer } = await startChat();
    const reader = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(reader.emitWithAck('history')).resolves.toEqual({ ok: true, messages: [] });
  });

  test('a missing permission is acknowledged with AUTH_FORBIDDEN and the socket stays connected', async () => {
    const { url, issuer } = await startChat();
    const stranger = await connectAs(url, { sub: 'bob', scope: 'other:thing' }, { issuer });
    const received = record(stranger);
    await expect(stranger.emitWithAck('history')).resolves.toEqual(forbidden);
    expect(stranger.connected).toBe(true);
    // The next round trip proves nothing else (no Nest "exception" event) was sent in between.
    await expect(stranger.emitWithAck('ping')).resolves.toBe('pong');
    expect(received).toEqual([]);
  });

  test('a handler-level @RequirePermissions overrides the gateway-level one', async () => {
    const { url, issuer } = await startChat();
    const writerOnly = await connectAs(url, { sub: 'carol', scope: 'chat:write' }, { issuer });
    await expect(writerOnly.emitWithAck('chat:send', { text: 'hi' })).resolves.toEqual({ ok: true, text: 'hi' });
    await expect(writerOnly.emitWithAck('history')).resolves.toEqual(forbidden);

    const readerOnly = await connectAs(url, { sub: 'dave', scope: 'chat:read' }, { issuer });
    await expect(readerOnly.emitWithAck('chat:send', { text: 'hi' })).resolves.toEqual(forbidden);
  });

  test('@RequireAnyPermission needs one of its permissions on top of the gateway requirement', async () => {
    const { url, issuer } = await startChat();
    const moderator = await connectAs(url, { sub: 'erin', scope: 'chat:read chat:moderator' }, { issuer });
    await expect(moderator.emitWithAck('room:kick', {})).resolves.toEqual({ ok: true });

    const admin = await connectAs(url, { sub: 'frank', permissions: ['chat:read', 'chat:admin'] }, { issuer });
    await expect(admin.emitWithAck('room:kick', {})).resolves.toEqual({ ok: true });

    const moderatorWithoutRead = await connectAs(url, { sub: 'gina', scope: 'chat:moderator' }, { issuer });
    await expect(moderatorWithoutRead.emitWithAck('room:kick', {})).resolves.toEqual(forbidden);

    const reader = await connectAs(url, { sub: 'hank', scope: 'chat:read' }, { issuer });
    await expect(reader.emitWithAck('room:kick', {})).resolves.toEqual(forbidden);
  });

  test('a wildcard permission satisfies the requirements it covers', async () => {
    const { url, issuer } = await startChat();
    const all = await connectAs(url, { sub: 'ivy', scope: 'chat:*' }, { issuer });
    await expect(all.emitWithAck('chat:send', { text: 'x' })).resolves.toEqual({ ok: true, text: 'x' });
    await expect(all.emitWithAck('room:kick', {})).resolves.toEqual({ ok: true });
  });

  test('a @Public() handler needs no permission', async () => {
    const { url, issuer } = await startChat();
    const nobody = await connectAs(url, { sub: 'jack' }, { issuer });
    await expect(nobody.emitWithAck('ping')).resolves.toBe('pong');
  });

  test('@AuthUser() gives { subject, permissions } when no user was mapped, or one of its properties', async () => {
    const { url, issuer } = await startChat();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read chat:write' }, { issuer });
    await expect(alice.emitWithAck('me')).resolves.toEqual({ subject: 'alice', permissions: ['chat:read', 'chat:write'] });
    await expect(alice.emitWithAck('me:subject')).resolves.toBe('alice');
  });

  test('@SockAuthContext() gives the context in force', async () => {
    const { url, issuer } = await startChat();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read', sid: 'session-1' }, { issuer });
    const described = await alice.emitWithAck('context');
    expect(described).toEqual({ subject: 'alice', permissions: ['chat:read'], expiresAt: expect.any(Number), version: 1 });
    expect(described.expiresAt % 1000).toBe(0);
  });

  test('a user mapped by mapClaims reaches @AuthUser()', async () => {
    const { url, issuer } = await startChat({
      mapClaims: (claims) => ({
        subject: String(claims.sub),
        permissions: ['chat:read'],
        user: { id: claims.sub, displayName: String(claims['name']) },
      }),
    });
    const alice = await connectAs(url, { sub: 'alice', name: 'Alice' }, { issuer });
    await expect(alice.emitWithAck('me')).resolves.toEqual({ id: 'alice', displayName: 'Alice' });
  });

  test('the live authorize hook sees the pattern and the arguments without the ack, and can refuse', async () => {
    const calls: { subject: string; pattern: string; args: unknown }[] = [];
    const authorize: AuthorizeHook = (ctx, pattern, args) => {
      calls.push({ subject: ctx.subject, pattern, args });
      return (args[0] as { text?: string } | undefined)?.text !== 'forbidden word';
    };
    const { url, issuer } = await startChat({ authorize });
    const writer = await connectAs(url, { sub: 'kim', scope: 'chat:write' }, { issuer });
    await expect(writer.emitWithAck('chat:send', { text: 'hello' })).resolves.toEqual({ ok: true, text: 'hello' });
    await expect(writer.emitWithAck('chat:send', { text: 'forbidden word' })).resolves.toEqual(forbidden);
    expect(calls).toEqual([
      { subject: 'kim', pattern: 'chat:send', args: [{ text: 'hello' }] },
      { subject: 'kim', pattern: 'chat:send', args: [{ text: 'forbidden word' }] },
    ]);
  });

  test('an authorize hook that fails without deciding refuses with AUTH_UNAVAILABLE', async () => {
    const { url, issuer } = await startChat({
      authorize: () => {
        throw new Error('policy store down');
      },
    });
    const writer = await connectAs(url, { sub: 'lee', scope: 'chat:write' }, { issuer });
    await expect(writer.emitWithAck('chat:send', { text: 'x' })).resolves.toEqual({
      error: { code: 'AUTH_UNAVAILABLE', action: 'retry', message: expect.any(String) },
    });
    expect(writer.connected).toBe(true);
  });

  test('by default an event no gateway handles gets no answer at all, as in plain Nest', async () => {
    const { url, issuer } = await startChat();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(alice.timeout(200).emitWithAck('nobody-handles-this')).rejects.toThrow();
  });

  test('with unlistedEvents: deny, an event no gateway handles is acked with AUTH_FORBIDDEN', async () => {
    const { url, issuer } = await startChat({ unlistedEvents: 'deny' });
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(alice.emitWithAck('nobody-handles-this')).resolves.toEqual(forbidden);
    await expect(alice.emitWithAck('history')).resolves.toEqual({ ok: true, messages: [] });
    await expect(alice.emitWithAck('chat:send', { text: 'x' })).resolves.toEqual(forbidden);
  });

  test('denials are reported to the onAuthFailure hook', async () => {
    const failures: unknown[] = [];
    const { url, issuer } = await startChat({ hooks: { onAuthFailure: (info) => failures.push(info) } });
    const stranger = await connectAs(url, { sub: 'mo' }, { issuer });
    await expect(stranger.emitWithAck('chat:send', { text: 'x' })).resolves.toEqual(forbidden);
    expect(failures).toEqual([
      { code: 'AUTH_FORBIDDEN', stage: 'event', socketId: expect.any(String), namespace: '/', event: 'chat:send', subject: 'mo' },
    ]);
  });

  test('a sockauth error thrown by a handler becomes its ack too', async () => {
    const { url, issuer } = await startChat();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(alice.emitWithAck('refuse')).resolves.toEqual(forbidden);
  });

  test('other exceptions keep Nest’s default handling', async () => {
    const { url, issuer } = await startChat();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    const exception = new Promise((resolve) => alice.once('exception', resolve));
    alice.emit('crash', {}, () => undefined);
    await expect(exception).resolves.toEqual({ status: 'error', message: expect.any(String), cause: expect.anything() });
  });
});

describe('WsAuthGuard per handler and globally', () => {
  test('a guard on one handler protects that handler only', async () => {
    const { url, issuer } = await createSockAuthTestingApp({ providers: [HandlerGuardedGateway] });
    const reader = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(reader.emitWithAck('chat:send', {})).resolves.toEqual(forbidden);
    await expect(reader.emitWithAck('open', {})).resolves.toEqual({ ok: true });
  });

  test('as APP_GUARD it protects every gateway handler and lets HTTP requests through', async () => {
    const { url, issuer } = await createSockAuthTestingApp({
      controllers: [HealthController],
      providers: [GloballyGuardedGateway, { provide: APP_GUARD, useClass: WsAuthGuard }],
    });
    const reader = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(reader.emitWithAck('chat:send', {})).resolves.toEqual(forbidden);
    await expect(reader.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice' });
    const writer = await connectAs(url, { sub: 'bob', scope: 'chat:write' }, { issuer });
    await expect(writer.emitWithAck('chat:send', {})).resolves.toEqual({ ok: true });

    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ ok: true });
  });

  test('permission decorators without WsAuthGuard are enforced by the module itself', async () => {
    const { url, issuer } = await createSockAuthTestingApp({ providers: [GloballyGuardedGateway] });
    const reader = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(reader.emitWithAck('chat:send', {})).resolves.toEqual(forbidden);
    await expect(reader.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice' });
    const writer = await connectAs(url, { sub: 'bob', scope: 'chat:write' }, { issuer });
    await expect(writer.emitWithAck('chat:send', {})).resolves.toEqual({ ok: true });
  });

  test('an authorize hook also covers the handlers WsAuthGuard does not run for', async () => {
    const calls: string[] = [];
    const { url, issuer } = await createSockAuthTestingApp(
      { providers: [HandlerGuardedGateway] },
      {
        sockAuth: {
          authorize: (_ctx: unknown, pattern: string) => {
            calls.push(pattern);
            return false;
          },
        },
      },
    );
    const writer = await connectAs(url, { sub: 'alice', scope: 'chat:write' }, { issuer });
    // chat:send is guarded (the guard asks the hook); open is not (the module asks it).
    await expect(writer.emitWithAck('chat:send', {})).resolves.toEqual(forbidden);
    await expect(writer.emitWithAck('open', {})).resolves.toEqual(forbidden);
    expect(calls).toEqual(['chat:send', 'open']);
  });

  test('WsAuthExceptionFilter registered as APP_FILTER leaves HTTP errors to Nest', async () => {
    const { url, issuer } = await createSockAuthTestingApp({
      controllers: [HealthController],
      providers: [ChatGateway, { provide: APP_FILTER, useClass: WsAuthExceptionFilter }],
    });
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    await expect(missing.json()).resolves.toMatchObject({ statusCode: 404 });
    const reader = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(reader.emitWithAck('chat:send', {})).resolves.toEqual(forbidden);
  });

  test('gatewayExceptionFilter: false leaves denials to the filters you register', async () => {
    // A class of its own: the filter is gateway metadata, and other tests' applications added it to theirs.
    @WebSocketGateway()
    class UnfilteredGateway {
      @UseGuards(WsAuthGuard)
      @RequirePermissions('chat:write')
      @SubscribeMessage('chat:send')
      send() {
        return { ok: true };
      }
    }
    const { url, issuer } = await createSockAuthTestingApp(
      { providers: [UnfilteredGateway] },
      { sockAuth: { gatewayExceptionFilter: false } },
    );
    const reader = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    const exception = new Promise((resolve) => reader.once('exception', resolve));
    reader.emit('chat:send', {}, () => undefined);
    await expect(exception).resolves.toMatchObject({ status: 'error' });
  });
});
