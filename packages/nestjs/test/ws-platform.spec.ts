/**
 * SockAuthModule on @nestjs/platform-ws: real Nest applications (`@nestjs/testing`, port 0) with
 * SockAuthWsAdapter, and real `ws` clients speaking sockauth's `{ type, id?, data }` envelope.
 */
import { Inject, UseGuards, type ModuleMetadata } from '@nestjs/common';
import { Ack, MessageBody, SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { WS_CLOSE_CODES } from '@sockauth/core';
import {
  AuthUser,
  Public,
  RequirePermissions,
  SockAuthContext,
  SockAuthModule,
  SockAuthService,
  WsAuthGuard,
  type AuthContext,
  type SockAuthModuleOptions,
} from '@sockauth/nestjs';
import { SockAuthWsAdapter } from '@sockauth/nestjs/ws';
import { closeAll } from '@sockauth/testing';
import type { WebSocket } from 'ws';
import { TestClient, connectWs, refusal } from '../../ws/test/support';
import { createNestApp, startNestApp } from '../../../test/support/nest';
import { AUDIENCE, ISSUER, SECRET, expAtLeast, mint, nowSec } from '../../../test/support/tokens';

afterEach(closeAll);

/**
 * `@Ack()` exists from @nestjs/websockets 11.1.7 on; the lowest Nest of the peer range (run by
 * test/packaging/ws-versions.spec.ts) has none, so the gateway declares it only where it exists.
 */
const HAS_ACK = typeof Ack === 'function';
const AckParam: ParameterDecorator = HAS_ACK ? Ack() : () => undefined;

/** Which clients reached `handleConnection`, with the subject each had there. */
const connections: string[] = [];
beforeEach(() => void connections.splice(0));

@WebSocketGateway({ path: '/ws' })
class ChatWsGateway implements OnGatewayConnection {
  constructor(@Inject(SockAuthService) private readonly sockAuth: SockAuthService) {}

  handleConnection(ws: WebSocket): void {
    connections.push(this.sockAuth.contextOf(ws)?.subject ?? '(no context)');
  }

  @SubscribeMessage('whoami')
  whoami(@SockAuthContext() ctx: AuthContext) {
    return { subject: ctx.subject, permissions: ctx.permissions.toArray().sort(), version: ctx.version };
  }

  @SubscribeMessage('me')
  me(@AuthUser() user: unknown) {
    return user;
  }

  @RequirePermissions('chat:write')
  @SubscribeMessage('chat:send')
  send(@MessageBody() body: { text: string }) {
    return { ok: true, text: body.text };
  }

  @Public()
  @SubscribeMessage('ping')
  ping() {
    return 'pong';
  }

  @SubscribeMessage('manual')
  manual(@MessageBody() body: unknown, @AckParam ack: (value: unknown) => void) {
    ack({ manual: body });
    return 'not the ack';
  }

  @SubscribeMessage('notify')
  notify() {
    return { event: 'notice', data: { text: 'hi' } };
  }

  @UseGuards(WsAuthGuard)
  @RequirePermissions('chat:admin')
  @SubscribeMessage('admin:announce')
  announce(@MessageBody() body: { text: string }) {
    return { ok: true, text: body.text };
  }
}

/** A second path on the same HTTP server, whose every handler needs `feed:read`. */
@RequirePermissions('feed:read')
@WebSocketGateway({ path: '/feed' })
class FeedWsGateway {
  @SubscribeMessage('latest')
  latest() {
    return { items: [] };
  }
}

/** A public gateway: its path's upgrades are not authenticated, its clients have no context. */
@Public()
@WebSocketGateway({ path: '/status' })
class StatusWsGateway implements OnGatewayConnection {
  constructor(@Inject(SockAuthService) private readonly sockAuth: SockAuthService) {}

  handleConnection(ws: WebSocket): void {
    connections.push(`status:${this.sockAuth.contextOf(ws)?.subject ?? '(no context)'}`);
  }

  @SubscribeMessage('ping')
  ping(@AuthUser() user: unknown) {
    return { pong: true, user: user ?? null };
  }

  @RequirePermissions('status:write')
  @SubscribeMessage('status:set')
  set() {
    return { ok: true };
  }
}

const VERIFIER = { algorithms: ['HS256'], secret: SECRET, issuer: ISSUER, audience: AUDIENCE } as const;

function metadata(options: Partial<SockAuthModuleOptions> = {}, providers: ModuleMetadata['providers'] = [ChatWsGateway, FeedWsGateway]): ModuleMetadata {
  return { imports: [SockAuthModule.forRoot({ verifier: VERIFIER, ...options })], providers };
}

/** A Nest app on SockAuthWsAdapter; `ws://127.0.0.1:<port>` as `base`. */
async function startWsApp(options: Partial<SockAuthModuleOptions> = {}) {
  const nest = await startNestApp(metadata(options), {
    configure: (app) => app.useWebSocketAdapter(new SockAuthWsAdapter(app)),
  });
  return { ...nest, base: nest.url.replace(/^http/, 'ws'), service: nest.app.get(SockAuthService) };
}

describe('ws upgrades', () => {
  test('refused upgrades are closed with their code and {code,action} reason and never reach handleConnection', async () => {
    const { base } = await startWsApp();
    const cases = [
      { client: new TestClient(`${base}/ws`), code: 'AUTH_MISSING', action: 'login' },
      { client: new TestClient(`${base}/ws`, { headers: { authorization: 'Bearer not.a.jwt' } }), code: 'AUTH_INVALID', action: 'login' },
      {
        client: new TestClient(`${base}/feed`, { headers: { authorization: `Bearer ${await mint({ sub: 'eve' }, { exp: nowSec() - 60, iat: nowSec() - 120 })}` } }),
        code: 'AUTH_EXPIRED',
        action: 'refresh',
      },
    ] as const;
    for (const { client, code, action } of cases) {
      const close = await refusal(client);
      expect(close.code).toBe(WS_CLOSE_CODES[code]);
      expect(close.reason).toMatchObject({ code, action });
      expect(close.frames).toEqual([]);
    }
    expect(connections).toEqual([]);

    const alice = await connectWs(`${base}/ws`, await mint({ sub: 'alice', scope: 'chat:read' }));
    expect(await alice.request('whoami')).toEqual({ subject: 'alice', permissions: ['chat:read'], version: 1 });
    expect(connections).toEqual(['alice']);
  });

  test('a browser token in the sockauth.bearer subprotocol: sockauth is selected, the token never echoed', async () => {
    const { base } = await startWsApp();
    const token = await mint({ sub: 'alice', scope: 'chat:read' });
    const client = new TestClient(`${base}/ws`, { protocols: ['sockauth', `sockauth.bearer.${token}`] });
    await client.opened;
    expect(client.ws.protocol).toBe('sockauth');
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice' });
  });
});

describe('ws messages', () => {
  test('permission decorators: refused with AUTH_FORBIDDEN (the connection stays), allowed with the permission', async () => {
    const { base } = await startWsApp();
    const reader = await connectWs(`${base}/ws`, await mint({ sub: 'alice', scope: 'chat:read' }));
    expect(await reader.request('chat:send', { text: 'hi' })).toEqual({ error: expect.objectContaining({ code: 'AUTH_FORBIDDEN', action: 'none' }) });
    expect(await reader.request('whoami')).toMatchObject({ subject: 'alice' });
    const writer = await connectWs(`${base}/ws`, await mint({ sub: 'bob', scope: 'chat:write' }));
    expect(await writer.request('chat:send', { text: 'hi' })).toEqual({ ok: true, text: 'hi' });
  });

  test('gateway-level requirements apply to their own path only', async () => {
    const { base } = await startWsApp();
    const token = await mint({ sub: 'alice', scope: 'chat:read' });
    const feed = await connectWs(`${base}/feed`, token);
    expect(await feed.request('latest')).toEqual({ error: expect.objectContaining({ code: 'AUTH_FORBIDDEN' }) });
    const reader = await connectWs(`${base}/feed`, await mint({ sub: 'carol', scope: 'feed:read' }));
    expect(await reader.request('latest')).toEqual({ items: [] });
    // The /ws gateway's handlers are not served on /feed.
    expect(await reader.request('whoami')).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
  });

  test('@Public() handler, @AuthUser(), WsAuthGuard on a ws client', async () => {
    const { base } = await startWsApp();
    const alice = await connectWs(`${base}/ws`, await mint({ sub: 'alice', scope: 'chat:read' }));
    expect(await alice.request('ping')).toBe('pong');
    expect(await alice.request('me')).toEqual({ subject: 'alice', permissions: ['chat:read'] });
    expect(await alice.request('admin:announce', { text: 'x' })).toEqual({ error: expect.objectContaining({ code: 'AUTH_FORBIDDEN', action: 'none' }) });
    const root = await connectWs(`${base}/ws`, await mint({ sub: 'root', scope: 'chat:admin' }));
    expect(await root.request('admin:announce', { text: 'x' })).toEqual({ ok: true, text: 'x' });
  });

  test("Nest's own { event, data } frames are refused: BAD_REQUEST with an id, and no handler runs", async () => {
    const { base } = await startWsApp();
    const bob = await connectWs(`${base}/ws`, await mint({ sub: 'bob', scope: 'chat:write' }));
    bob.sendRaw(JSON.stringify({ event: 'chat:send', id: 7, data: { text: 'hi' } }));
    expect((await bob.next((frame) => frame.type === 'ack' && frame.id === 7)).data).toEqual({
      error: expect.objectContaining({ code: 'BAD_REQUEST' }),
    });
    bob.sendRaw(JSON.stringify({ event: 'chat:send', data: { text: 'hi' } }));
    expect(await bob.request('ping')).toBe('pong');
    expect(bob.frames.filter((frame) => frame.type !== 'ack')).toEqual([]);
  });
});

(HAS_ACK ? test : test.skip)('@Ack() handlers ack themselves (@nestjs/websockets >= 11.1.7)', async () => {
  const { base } = await startWsApp();
  const alice = await connectWs(`${base}/ws`, await mint({ sub: 'alice', scope: 'chat:read' }));
  expect(await alice.request('manual', 1)).toEqual({ manual: 1 });
});

test('a returned { event, data } without an id is pushed as { type, data }', async () => {
  const { base } = await startWsApp();
  const alice = await connectWs(`${base}/ws`, await mint({ sub: 'alice', scope: 'chat:read' }));
  const notice = alice.push('notice');
  alice.sendRaw(JSON.stringify({ type: 'notify' }));
  expect(await notice).toEqual({ text: 'hi' });
  // With an id, the returned value is the ack, whatever its shape.
  expect(await alice.request('notify')).toEqual({ event: 'notice', data: { text: 'hi' } });
});

test('@Public() gateway: its path takes clients without a token (no context); decorated handlers refuse them AUTH_MISSING', async () => {
  const nest = await startNestApp(metadata({}, [ChatWsGateway, StatusWsGateway]), {
    configure: (app) => app.useWebSocketAdapter(new SockAuthWsAdapter(app)),
  });
  const base = nest.url.replace(/^http/, 'ws');
  const anonymous = new TestClient(`${base}/status`);
  await anonymous.opened;
  expect(await anonymous.request('ping')).toEqual({ pong: true, user: null });
  expect(await anonymous.request('status:set')).toEqual({ error: expect.objectContaining({ code: 'AUTH_MISSING', action: 'login' }) });
  expect(await anonymous.request('auth:refresh', { token: 'x' })).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
  expect(connections).toEqual(['status:(no context)']);
  // The protected path next to it still refuses an upgrade without a token.
  expect((await refusal(new TestClient(`${base}/ws`))).reason).toMatchObject({ code: 'AUTH_MISSING' });
  expect(connections).toEqual(['status:(no context)']);
});

test("the module's hooks see the ws platform: refused upgrades, decorator and guard refusals, by code and stage", async () => {
  const failures: { code: string; stage: string; event?: string }[] = [];
  const { base } = await startWsApp({ hooks: { onAuthFailure: ({ code, stage, event }) => void failures.push({ code, stage, ...(event !== undefined && { event }) }) } });
  await refusal(new TestClient(`${base}/ws`));
  const alice = await connectWs(`${base}/ws`, await mint({ sub: 'alice', scope: 'chat:read' }));
  await alice.request('chat:send', { text: 'x' });
  // Decided by WsAuthGuard (Nest's pipeline), reported like the module's own refusals.
  expect(await alice.request('admin:announce', { text: 'x' })).toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
  expect(failures).toEqual([
    { code: 'AUTH_MISSING', stage: 'handshake' },
    { code: 'AUTH_FORBIDDEN', stage: 'event', event: 'chat:send' },
    { code: 'AUTH_FORBIDDEN', stage: 'event', event: 'admin:announce' },
  ]);
});

describe('ws lifecycle', () => {
  test('auth:expiring, then auth:error and close 4200 at expiry', async () => {
    const { base } = await startWsApp({ warnBeforeSec: 1, verifier: { ...VERIFIER, clockToleranceSec: 0 } });
    const alice = await connectWs(`${base}/ws`, await mint({ sub: 'alice', scope: 'chat:read' }, { exp: expAtLeast(1500) }));
    expect((await alice.push<{ inMs: number }>('auth:expiring')).inMs).toBeGreaterThan(0);
    const close = await alice.closed;
    expect(close.code).toBe(WS_CLOSE_CODES.AUTH_EXPIRED);
    expect(close.reason).toMatchObject({ code: 'AUTH_EXPIRED', action: 'refresh' });
    expect(alice.frames.at(-1)).toMatchObject({ type: 'auth:error', data: { code: 'AUTH_EXPIRED' } });
  });

  test('auth:refresh swaps the context the handlers see; another identity is refused and the connection stays', async () => {
    const { base } = await startWsApp();
    const alice = await connectWs(`${base}/ws`, await mint({ sub: 'alice', scope: 'chat:read' }, { iat: nowSec() - 5 }));
    expect(await alice.request('chat:send', { text: 'x' })).toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
    const ack = await alice.request('auth:refresh', { token: await mint({ sub: 'alice', scope: 'chat:read chat:write' }) });
    expect(ack).toMatchObject({ ok: true, version: 2 });
    expect(await alice.request('whoami')).toEqual({ subject: 'alice', permissions: ['chat:read', 'chat:write'], version: 2 });
    expect(await alice.request('chat:send', { text: 'x' })).toEqual({ ok: true, text: 'x' });
    expect(await alice.request('auth:refresh', { token: await mint({ sub: 'mallory' }) })).toMatchObject({
      ok: false,
      error: { code: 'AUTH_IDENTITY_MISMATCH' },
    });
    expect(await alice.request('whoami')).toMatchObject({ subject: 'alice', version: 2 });
  });

  test("SockAuthService.revoke cuts ws connections (4102) and counts them; contextOf follows; the token's next upgrade is refused", async () => {
    const { base, service } = await startWsApp();
    const token = await mint({ sub: 'alice', scope: 'chat:read' });
    const alice = await connectWs(`${base}/ws`, token);
    const feed = await connectWs(`${base}/feed`, token);
    const bob = await connectWs(`${base}/ws`, await mint({ sub: 'bob', scope: 'chat:read' }));
    await expect(service.revoke({ subject: 'alice' })).resolves.toEqual({ disconnected: 2 });
    for (const client of [alice, feed]) {
      const close = await client.closed;
      expect(close.code).toBe(WS_CLOSE_CODES.AUTH_REVOKED);
      expect(client.frames.at(-1)).toMatchObject({ type: 'auth:error', data: { code: 'AUTH_REVOKED' } });
    }
    expect(service.contextOf(alice.ws)).toBeUndefined();
    expect(await bob.request('whoami')).toMatchObject({ subject: 'bob' });
    const again = await refusal(new TestClient(`${base}/ws`, { headers: { authorization: `Bearer ${token}` } }));
    expect(again.reason).toMatchObject({ code: 'AUTH_REVOKED' });
  });

  test('SockAuthService.reevaluate re-maps the permissions of live ws connections', async () => {
    const denied = new Set<string>();
    const { base, service } = await startWsApp({
      mapClaims: (claims) => ({
        subject: String(claims.sub),
        permissions: String(claims.scope ?? '').split(' ').filter((p) => p !== '' && !denied.has(p)),
      }),
    });
    const bob = await connectWs(`${base}/ws`, await mint({ sub: 'bob', scope: 'chat:write' }));
    expect(await bob.request('chat:send', { text: 'a' })).toEqual({ ok: true, text: 'a' });
    denied.add('chat:write');
    await expect(service.reevaluate({ subject: 'bob' })).resolves.toEqual({ affected: 1 });
    expect(await bob.request('chat:send', { text: 'b' })).toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
  });
});

describe('ws start-up refusals', () => {
  const init = async (meta: ModuleMetadata) => {
    const app = await createNestApp(meta);
    app.useWebSocketAdapter(new SockAuthWsAdapter(app));
    return app.init();
  };

  test('skipNamespaces (a Socket.IO notion) is a TypeError', async () => {
    await expect(init(metadata({ skipNamespaces: ['/status'] }))).rejects.toThrow(TypeError);
  });

  test('a @Public() and a protected gateway on one path is a TypeError (the server cannot both skip and check)', async () => {
    @WebSocketGateway({ path: '/status' })
    class ProtectedStatusGateway {
      @SubscribeMessage('secret')
      secret() {
        return 'secret';
      }
    }
    await expect(init(metadata({}, [StatusWsGateway, ProtectedStatusGateway]))).rejects.toThrow(TypeError);
  });

  test('a gateway handler for auth:refresh (the session answers it) is a TypeError', async () => {
    @WebSocketGateway({ path: '/ws' })
    class RefreshGateway {
      @SubscribeMessage('auth:refresh')
      refresh() {
        return { ok: true };
      }
    }
    await expect(init(metadata({}, [RefreshGateway]))).rejects.toThrow(TypeError);
  });

  test("a gateway's own verifyClient is a TypeError", async () => {
    @WebSocketGateway({ path: '/raw', verifyClient: () => true })
    class RawGateway {}
    await expect(init(metadata({}, [RawGateway]))).rejects.toThrow(TypeError);
  });
});
