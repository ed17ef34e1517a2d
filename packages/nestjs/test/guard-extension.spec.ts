import { Injectable, UseGuards, type ExecutionContext } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { compileRequirement, type AuthError, type CompiledRequirement } from '@sockauth/core';
import { RequirePermissions, WsAuthGuard, type AuthContext } from '@sockauth/nestjs';
import { closeAll, connectAs, createSockAuthTestingApp } from '@sockauth/testing';

afterEach(closeAll);

const refused = (code: string, action: string) => ({ error: { code, action, message: expect.any(String) } });

/** What the subclass's onDenied saw, in order. */
const denials: { pattern: unknown; code: string }[] = [];
beforeEach(() => {
  denials.length = 0;
});

/**
 * A subclass using the three extension points: `admin:*` patterns need chat:admin whatever their decorators say,
 * rooms are bound to the token's tenant, and every refusal is recorded (then onDenied throws, which must change
 * nothing).
 */
@Injectable()
class TenantGuard extends WsAuthGuard {
  protected override getRequirement(context: ExecutionContext): 'public' | CompiledRequirement {
    const pattern = String(context.switchToWs().getPattern());
    return pattern.startsWith('admin:') ? compileRequirement('chat:admin') : super.getRequirement(context);
  }

  protected override authorize(context: ExecutionContext, auth: AuthContext, requirement: CompiledRequirement) {
    const body = context.switchToWs().getData<{ room?: string; explode?: boolean } | undefined>();
    if (body?.explode === true) throw new Error('policy backend down');
    if (body?.room !== undefined && !body.room.startsWith(`${String(auth.claims['tenant'])}:`)) return false;
    return super.authorize(context, auth, requirement);
  }

  protected override onDenied(context: ExecutionContext, error: AuthError): void {
    denials.push({ pattern: context.switchToWs().getPattern(), code: error.code });
    throw new Error('an observer that fails must not change the refusal');
  }
}

@UseGuards(TenantGuard)
@WebSocketGateway()
class TenantGateway {
  @RequirePermissions('chat:read')
  @SubscribeMessage('chat:join')
  join(@MessageBody() body: { room: string }) {
    return { ok: true, room: body.room };
  }

  @SubscribeMessage('admin:announce')
  announce() {
    return { ok: true };
  }
}

function start() {
  return createSockAuthTestingApp({ providers: [TenantGateway] });
}

describe('a WsAuthGuard subclass', () => {
  test('getRequirement: its requirement replaces the decorators for the handlers it guards', async () => {
    const { url, issuer } = await start();
    const reader = await connectAs(url, { sub: 'alice', scope: 'chat:read', tenant: 'acme' }, { issuer });
    const admin = await connectAs(url, { sub: 'root', scope: 'chat:admin', tenant: 'acme' }, { issuer });
    await expect(reader.emitWithAck('admin:announce', {})).resolves.toEqual(refused('AUTH_FORBIDDEN', 'none'));
    expect(reader.connected).toBe(true);
    await expect(admin.emitWithAck('admin:announce', {})).resolves.toEqual({ ok: true });
  });

  test('authorize: its own rule and the default one (the decorators) both apply', async () => {
    const { url, issuer } = await start();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read', tenant: 'acme' }, { issuer });
    const writerOnly = await connectAs(url, { sub: 'bob', scope: 'chat:write', tenant: 'acme' }, { issuer });
    await expect(alice.emitWithAck('chat:join', { room: 'acme:lobby' })).resolves.toEqual({ ok: true, room: 'acme:lobby' });
    await expect(alice.emitWithAck('chat:join', { room: 'globex:lobby' })).resolves.toEqual(refused('AUTH_FORBIDDEN', 'none'));
    await expect(writerOnly.emitWithAck('chat:join', { room: 'acme:lobby' })).resolves.toEqual(refused('AUTH_FORBIDDEN', 'none'));
    expect(alice.connected && writerOnly.connected).toBe(true);
  });

  test('authorize: an error that is not a sockauth error refuses with AUTH_UNAVAILABLE', async () => {
    const { url, issuer } = await start();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read', tenant: 'acme' }, { issuer });
    await expect(alice.emitWithAck('chat:join', { room: 'acme:lobby', explode: true })).resolves.toEqual(
      refused('AUTH_UNAVAILABLE', 'retry'),
    );
  });

  test('onDenied sees every refusal with its code, and cannot undo it by throwing', async () => {
    const { url, issuer } = await start();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read', tenant: 'acme' }, { issuer });
    await expect(alice.emitWithAck('chat:join', { room: 'globex:lobby' })).resolves.toEqual(refused('AUTH_FORBIDDEN', 'none'));
    await expect(alice.emitWithAck('admin:announce', {})).resolves.toEqual(refused('AUTH_FORBIDDEN', 'none'));
    await expect(alice.emitWithAck('chat:join', { room: 'acme:lobby' })).resolves.toEqual({ ok: true, room: 'acme:lobby' });
    expect(denials).toEqual([
      { pattern: 'chat:join', code: 'AUTH_FORBIDDEN' },
      { pattern: 'admin:announce', code: 'AUTH_FORBIDDEN' },
    ]);
  });
});
