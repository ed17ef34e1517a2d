/**
 * The permission decorators enforced by SockAuthModule itself, with no WsAuthGuard anywhere: real Nest
 * applications, real socket.io-client sockets. Each gateway records the handler runs, so a refusal is proven to
 * have stopped the handler, not just to have produced an ack.
 */
import { UseGuards } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { AuthorizeHook } from '@sockauth/core';
import {
  Public,
  RequireAnyPermission,
  RequirePermissions,
  SockAuthModule,
  WsAuthGuard,
  type SockAuthModuleOptions,
} from '@sockauth/nestjs';
import { closeAll, connectAs, createSockAuthTestingApp } from '@sockauth/testing';
import { deferred, settle } from '../../../test/support/async';
import { nextEvent } from '../../../test/support/clients';
import { createNestApp } from '../../../test/support/nest';
import { expAtLeast, hs256Verifier, nowSec } from '../../../test/support/tokens';

afterEach(closeAll);

const forbidden = { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) } };
const missing = { error: { code: 'AUTH_MISSING', action: 'login', message: expect.any(String) } };
const expired = { error: { code: 'AUTH_EXPIRED', action: 'refresh', message: expect.any(String) } };

/** Handler runs of every gateway below, in order: `Gateway.method:data`. */
const runs: string[] = [];
beforeEach(() => {
  runs.length = 0;
});

/** The decorator combinations of the guard suite's ChatGateway, without any guard. */
@RequirePermissions('chat:read')
@WebSocketGateway()
class DecoratedGateway {
  @SubscribeMessage('history')
  history() {
    runs.push('history');
    return { ok: true, messages: [] };
  }

  @RequirePermissions('chat:write')
  @SubscribeMessage('chat:send')
  send(@MessageBody() body: unknown) {
    runs.push(`chat:send:${JSON.stringify(body)}`);
    return { ok: true, body };
  }

  @RequireAnyPermission('chat:admin', 'chat:moderator')
  @SubscribeMessage('room:kick')
  kick() {
    runs.push('room:kick');
    return { ok: true };
  }

  @Public()
  @SubscribeMessage('ping')
  ping() {
    runs.push('ping');
    return 'pong';
  }
}

/** Two gateways on one namespace handling the same event with different requirements. */
@WebSocketGateway({ namespace: '/board' })
class BoardWriterGateway {
  @RequirePermissions('board:write')
  @SubscribeMessage('board:post')
  post() {
    runs.push('writer');
    return { ok: true, by: 'writer' };
  }
}

@WebSocketGateway({ namespace: '/board' })
class BoardModeratorGateway {
  @RequireAnyPermission('board:admin', 'board:moderator')
  @SubscribeMessage('board:post')
  post() {
    runs.push('moderator');
    return { ok: true, by: 'moderator' };
  }

  @Public()
  @SubscribeMessage('board:read')
  read() {
    runs.push('read');
    return { ok: true };
  }
}

/** A base class with handlers and a class-level requirement, inherited by gateways. */
@RequirePermissions('base:use')
abstract class BaseGateway {
  @SubscribeMessage('base:op')
  op() {
    runs.push(`${this.constructor.name}.op`);
    return { ok: true };
  }

  @RequirePermissions('base:special')
  @SubscribeMessage('base:special')
  special() {
    runs.push(`${this.constructor.name}.special`);
    return { ok: true };
  }
}

/** Inherits the handlers and the class-level requirement. */
@WebSocketGateway({ namespace: '/inherited' })
class InheritingGateway extends BaseGateway {}

/** Inherits the handlers, overrides the class-level requirement. */
@RequirePermissions('derived:use')
@WebSocketGateway({ namespace: '/overriding' })
class OverridingGateway extends BaseGateway {}

/** A public gateway: its namespace is not authenticated; a handler-level requirement can then never be met. */
@Public()
@WebSocketGateway({ namespace: '/open' })
class OpenGateway {
  @SubscribeMessage('ping')
  ping() {
    runs.push('open.ping');
    return 'pong';
  }

  @RequirePermissions('open:write')
  @SubscribeMessage('open:write')
  write() {
    runs.push('open.write');
    return { ok: true };
  }
}

/** Dynamic namespaces, matched by a pattern. */
@WebSocketGateway({ namespace: /^\/room-\d+$/ })
class RoomGateway {
  @RequirePermissions('room:talk')
  @SubscribeMessage('room:say')
  say() {
    runs.push('room:say');
    return { ok: true };
  }
}

/** One handler under WsAuthGuard, one under the module's enforcement. */
@WebSocketGateway({ namespace: '/mixed' })
class MixedGateway {
  @UseGuards(WsAuthGuard)
  @RequirePermissions('mixed:guarded')
  @SubscribeMessage('guarded')
  guarded() {
    runs.push('guarded');
    return { ok: true };
  }

  @RequirePermissions('mixed:decorated')
  @SubscribeMessage('decorated')
  decorated() {
    runs.push('decorated');
    return { ok: true };
  }
}

function start(providers: unknown[], sockAuth: Partial<SockAuthModuleOptions> = {}) {
  return createSockAuthTestingApp({ providers }, { sockAuth });
}

describe('permission decorators without any guard', () => {
  test('a handler runs when the context satisfies its requirement; otherwise AUTH_FORBIDDEN and it does not run', async () => {
    const { url, issuer } = await start([DecoratedGateway]);
    const reader = await connectAs(url, { sub: 'alice', permissions: ['chat:read'] }, { issuer });
    await expect(reader.emitWithAck('history')).resolves.toEqual({ ok: true, messages: [] });
    await expect(reader.emitWithAck('chat:send', { text: 'hi' })).resolves.toEqual(forbidden);
    await expect(reader.emitWithAck('room:kick')).resolves.toEqual(forbidden);
    expect(reader.connected).toBe(true);

    const stranger = await connectAs(url, { sub: 'bob', permissions: ['other'] }, { issuer });
    await expect(stranger.emitWithAck('history')).resolves.toEqual(forbidden);
    await expect(stranger.emitWithAck('ping')).resolves.toBe('pong');
    expect(runs).toEqual(['history', 'ping']);
  });

  test('handler-level decorators override the gateway-level one; @RequireAnyPermission needs one of its list', async () => {
    const { url, issuer } = await start([DecoratedGateway]);
    const writer = await connectAs(url, { sub: 'carol', permissions: ['chat:write'] }, { issuer });
    await expect(writer.emitWithAck('chat:send', { text: 'x' })).resolves.toEqual({ ok: true, body: { text: 'x' } });
    await expect(writer.emitWithAck('history')).resolves.toEqual(forbidden);
    // @RequireAnyPermission on the handler overrides only the gateway's any-of list: chat:read still applies.
    const moderator = await connectAs(url, { sub: 'erin', permissions: ['chat:read', 'chat:moderator'] }, { issuer });
    await expect(moderator.emitWithAck('room:kick')).resolves.toEqual({ ok: true });
    const moderatorWithoutRead = await connectAs(url, { sub: 'gina', permissions: ['chat:moderator'] }, { issuer });
    await expect(moderatorWithoutRead.emitWithAck('room:kick')).resolves.toEqual(forbidden);
    const wildcard = await connectAs(url, { sub: 'ivy', permissions: ['chat:*'] }, { issuer });
    await expect(wildcard.emitWithAck('room:kick')).resolves.toEqual({ ok: true });
  });

  test('a refusal is reported once to onAuthFailure', async () => {
    const failures: unknown[] = [];
    const { url, issuer } = await start([DecoratedGateway], { hooks: { onAuthFailure: (info) => failures.push(info) } });
    const reader = await connectAs(url, { sub: 'alice', permissions: ['chat:read'] }, { issuer });
    await expect(reader.emitWithAck('chat:send', {})).resolves.toEqual(forbidden);
    expect(failures).toEqual([{ code: 'AUTH_FORBIDDEN', stage: 'event', socketId: expect.any(String), namespace: '/', event: 'chat:send', subject: 'alice' }]);
  });

  test('the same decisions as WsAuthGuard for every decorator combination', async () => {
    const people = [[], ['chat:read'], ['chat:write'], ['chat:read', 'chat:write'], ['chat:admin'], ['chat:read', 'chat:moderator'], ['chat:*']];
    const events = ['history', 'chat:send', 'room:kick', 'ping'];
    const outcomes = async (providers: unknown[]): Promise<string[]> => {
      const { url, issuer } = await start(providers);
      const seen: string[] = [];
      for (const permissions of people) {
        const socket = await connectAs(url, { sub: 'p', permissions }, { issuer });
        for (const event of events) {
          const ack = (await socket.emitWithAck(event, {})) as { error?: { code: string } };
          seen.push(`${permissions.join('+')} ${event} ${ack?.error?.code ?? 'ok'}`);
        }
      }
      return seen;
    };
    const enforced = await outcomes([DecoratedGateway]);
    const guarded = await outcomes([DecoratedGateway, { provide: APP_GUARD, useClass: WsAuthGuard }]);
    expect(enforced).toEqual(guarded);
    expect(enforced.filter((line) => line.endsWith('AUTH_FORBIDDEN'))).toHaveLength(12);
  });

  test('a re-auth adding a permission takes effect on the next event', async () => {
    const { url, issuer } = await start([DecoratedGateway]);
    const alice = await connectAs(url, { sub: 'alice', permissions: ['chat:read'], sid: 's1', iat: nowSec() - 10 }, { issuer });
    await expect(alice.emitWithAck('chat:send', { n: 1 })).resolves.toEqual(forbidden);
    const token = await issuer.mint({ sub: 'alice', permissions: ['chat:read', 'chat:write'], sid: 's1' });
    await expect(alice.emitWithAck('auth:refresh', { token })).resolves.toMatchObject({ ok: true, version: 2 });
    await expect(alice.emitWithAck('chat:send', { n: 2 })).resolves.toEqual({ ok: true, body: { n: 2 } });

    // And a re-auth removing it takes effect just as fast.
    const narrower = await issuer.mint({ sub: 'alice', permissions: ['chat:read'], sid: 's1' });
    await expect(alice.emitWithAck('auth:refresh', { token: narrower })).resolves.toMatchObject({ ok: true, version: 3 });
    await expect(alice.emitWithAck('chat:send', { n: 3 })).resolves.toEqual(forbidden);
    expect(runs).toEqual(['chat:send:{"n":2}']);
  });

  test('after the deadline (grace period) a decorated event is refused with AUTH_EXPIRED and its handler does not run', async () => {
    const { url, issuer } = await start([DecoratedGateway], { warnBeforeSec: 0, graceSec: 5 });
    const alice = await connectAs(url, { sub: 'alice', permissions: ['chat:read', 'chat:write'], exp: expAtLeast(300) }, { issuer });
    await expect(alice.emitWithAck('chat:send', { n: 1 })).resolves.toEqual({ ok: true, body: { n: 1 } });
    await expect(nextEvent(alice, 'auth:expiring')).resolves.toMatchObject({ inMs: 0, graceEndsAt: expect.any(Number) });
    await expect(alice.emitWithAck('chat:send', { n: 2 })).resolves.toEqual(expired);
    await expect(alice.emitWithAck('history')).resolves.toEqual(expired);
    expect(alice.connected).toBe(true);
    expect(runs).toEqual(['chat:send:{"n":1}']);
  });

  test('by default an event no gateway handles gets no answer, as in plain Nest; with unlistedEvents: deny, AUTH_FORBIDDEN', async () => {
    const plain = await start([DecoratedGateway, BoardWriterGateway, BoardModeratorGateway]);
    const alice = await connectAs(plain.url, { sub: 'alice', permissions: ['chat:read'] }, { issuer: plain.issuer });
    await expect(alice.timeout(200).emitWithAck('nobody-handles-this')).rejects.toThrow();
    // Handled in another namespace only: nothing serves it here either.
    await expect(alice.timeout(200).emitWithAck('board:post')).rejects.toThrow();

    const strict = await start([DecoratedGateway], { unlistedEvents: 'deny' });
    const bob = await connectAs(strict.url, { sub: 'bob', permissions: ['chat:read'] }, { issuer: strict.issuer });
    await expect(bob.emitWithAck('nobody-handles-this')).resolves.toEqual(forbidden);
    await expect(bob.emitWithAck('history')).resolves.toEqual({ ok: true, messages: [] });
    await expect(bob.emitWithAck('chat:send', {})).resolves.toEqual(forbidden);
  });

  test('gateways in dynamic namespaces are enforced too', async () => {
    const { url, issuer } = await start([RoomGateway]);
    const talker = await connectAs(url, { sub: 'alice', permissions: ['room:talk'] }, { issuer, namespace: '/room-1' });
    await expect(talker.emitWithAck('room:say')).resolves.toEqual({ ok: true });
    const listener = await connectAs(url, { sub: 'bob', permissions: [] }, { issuer, namespace: '/room-2' });
    await expect(listener.emitWithAck('room:say')).resolves.toEqual(forbidden);
    expect(runs).toEqual(['room:say']);
  });
});

describe('two gateways handling the same event on one namespace', () => {
  test('both requirements are enforced: the event needs the stricter combination', async () => {
    const { url, issuer } = await start([BoardWriterGateway, BoardModeratorGateway]);
    const writer = await connectAs(url, { sub: 'w', permissions: ['board:write'] }, { issuer, namespace: '/board' });
    await expect(writer.emitWithAck('board:post')).resolves.toEqual(forbidden);
    const moderator = await connectAs(url, { sub: 'm', permissions: ['board:moderator'] }, { issuer, namespace: '/board' });
    await expect(moderator.emitWithAck('board:post')).resolves.toEqual(forbidden);
    expect(runs).toEqual([]);

    const both = await connectAs(url, { sub: 'b', permissions: ['board:write', 'board:admin'] }, { issuer, namespace: '/board' });
    await expect(both.emitWithAck('board:post')).resolves.toMatchObject({ ok: true });
    await expect(both.emitWithAck('board:read')).resolves.toEqual({ ok: true });
    await settle();
    expect([...runs].sort()).toEqual(['moderator', 'read', 'writer']);
  });
});

describe('inherited handlers', () => {
  test('a gateway inherits its base class’s handlers and class-level requirement', async () => {
    const { url, issuer } = await start([InheritingGateway, OverridingGateway]);
    const base = await connectAs(url, { sub: 'a', permissions: ['base:use'] }, { issuer, namespace: '/inherited' });
    await expect(base.emitWithAck('base:op')).resolves.toEqual({ ok: true });
    await expect(base.emitWithAck('base:special')).resolves.toEqual(forbidden);
    const special = await connectAs(url, { sub: 'b', permissions: ['base:special'] }, { issuer, namespace: '/inherited' });
    await expect(special.emitWithAck('base:special')).resolves.toEqual({ ok: true });
    await expect(special.emitWithAck('base:op')).resolves.toEqual(forbidden);
    expect(runs).toEqual(['InheritingGateway.op', 'InheritingGateway.special']);
  });

  test('a class-level decorator on the derived gateway overrides the inherited one', async () => {
    const { url, issuer } = await start([InheritingGateway, OverridingGateway]);
    const base = await connectAs(url, { sub: 'a', permissions: ['base:use'] }, { issuer, namespace: '/overriding' });
    await expect(base.emitWithAck('base:op')).resolves.toEqual(forbidden);
    const derived = await connectAs(url, { sub: 'b', permissions: ['derived:use'] }, { issuer, namespace: '/overriding' });
    await expect(derived.emitWithAck('base:op')).resolves.toEqual({ ok: true });
    expect(runs).toEqual(['OverridingGateway.op']);
  });
});

describe('@Public() gateways', () => {
  test('their namespace is not authenticated; a handler-level requirement there is refused with AUTH_MISSING', async () => {
    const { url } = await start([OpenGateway, DecoratedGateway]);
    const anonymous = await connectAs(url, undefined, { namespace: '/open' });
    await expect(anonymous.emitWithAck('ping')).resolves.toBe('pong');
    await expect(anonymous.emitWithAck('open:write')).resolves.toEqual(missing);
    expect(anonymous.connected).toBe(true);
    expect(runs).toEqual(['open.ping']);
  });
});

describe('the authorize hook', () => {
  test('runs once per message after the decorators, sees the arguments without the ack, and can refuse', async () => {
    const calls: { subject: string; pattern: string; args: unknown }[] = [];
    const authorize: AuthorizeHook = (ctx, pattern, args) => {
      calls.push({ subject: ctx.subject, pattern, args });
      return (args[0] as { text?: string } | undefined)?.text !== 'forbidden word';
    };
    const { url, issuer } = await start([DecoratedGateway], { authorize });
    const writer = await connectAs(url, { sub: 'kim', permissions: ['chat:write', 'chat:read'] }, { issuer });
    await expect(writer.emitWithAck('chat:send', { text: 'hello' })).resolves.toEqual({ ok: true, body: { text: 'hello' } });
    await expect(writer.emitWithAck('chat:send', { text: 'forbidden word' })).resolves.toEqual(forbidden);
    await expect(writer.emitWithAck('chat:send', 'a', 'b')).resolves.toEqual({ ok: true, body: ['a', 'b'] });
    await expect(writer.emitWithAck('history')).resolves.toEqual({ ok: true, messages: [] });
    // Refused by the decorators: the hook is not asked. Public: not asked either.
    const reader = await connectAs(url, { sub: 'lee', permissions: ['chat:read'] }, { issuer });
    await expect(reader.emitWithAck('chat:send', { text: 'x' })).resolves.toEqual(forbidden);
    await expect(reader.emitWithAck('ping')).resolves.toBe('pong');
    expect(calls).toEqual([
      { subject: 'kim', pattern: 'chat:send', args: [{ text: 'hello' }] },
      { subject: 'kim', pattern: 'chat:send', args: [{ text: 'forbidden word' }] },
      { subject: 'kim', pattern: 'chat:send', args: ['a', 'b'] },
      { subject: 'kim', pattern: 'history', args: [] },
    ]);
    expect(runs).toEqual(['chat:send:{"text":"hello"}', 'chat:send:["a","b"]', 'history', 'ping']);
  });

  test('a hook that fails without deciding refuses with AUTH_UNAVAILABLE', async () => {
    const authorize: AuthorizeHook = () => {
      throw new Error('policy store down');
    };
    const { url, issuer } = await start([DecoratedGateway], { authorize });
    const reader = await connectAs(url, { sub: 'lee', permissions: ['chat:read'] }, { issuer });
    await expect(reader.emitWithAck('history')).resolves.toEqual({
      error: { code: 'AUTH_UNAVAILABLE', action: 'retry', message: expect.any(String) },
    });
    expect(reader.connected).toBe(true);
    expect(runs).toEqual([]);
  });

  test('messages of a socket are decided in arrival order, even when an earlier decision is slower', async () => {
    const slow = deferred<boolean>();
    const authorize: AuthorizeHook = (_ctx, _pattern, args) => ((args[0] as { n: number }).n === 1 ? slow.promise : true);
    const { url, issuer } = await start([DecoratedGateway], { authorize });
    const writer = await connectAs(url, { sub: 'kim', permissions: ['chat:write'] }, { issuer });
    const first = writer.emitWithAck('chat:send', { n: 1 });
    const second = writer.emitWithAck('chat:send', { n: 2 });
    // A public event sent after both: once it is answered, the server has received the two before it.
    await expect(writer.emitWithAck('ping')).resolves.toBe('pong');
    expect(runs).toEqual(['ping']);
    slow.resolve(true);
    await expect(Promise.all([first, second])).resolves.toEqual([
      { ok: true, body: { n: 1 } },
      { ok: true, body: { n: 2 } },
    ]);
    expect(runs).toEqual(['ping', 'chat:send:{"n":1}', 'chat:send:{"n":2}']);
  });

  test('the context is checked again after the hook: a deadline passed meanwhile refuses with AUTH_EXPIRED', async () => {
    const decision = deferred<boolean>();
    const asked = deferred<void>();
    const authorize: AuthorizeHook = () => {
      asked.resolve();
      return decision.promise;
    };
    const { url, issuer } = await start([DecoratedGateway], { authorize, warnBeforeSec: 0, graceSec: 5 });
    const alice = await connectAs(url, { sub: 'alice', permissions: ['chat:write'], exp: expAtLeast(300) }, { issuer });
    const grace = nextEvent(alice, 'auth:expiring');
    const ack = alice.emitWithAck('chat:send', { n: 1 });
    await asked.promise;
    await grace; // the deadline has passed while the hook was deciding
    decision.resolve(true);
    await expect(ack).resolves.toEqual(expired);
    expect(runs).toEqual([]);
  });

  test('it applies to handlers WsAuthGuard does not run for, and the guard asks it for the ones it does: once each', async () => {
    const calls: string[] = [];
    const { url, issuer } = await start([MixedGateway], {
      authorize: (_ctx, pattern) => {
        calls.push(pattern);
        return pattern === 'guarded';
      },
    });
    const socket = await connectAs(url, { sub: 'a', permissions: ['mixed:guarded', 'mixed:decorated'] }, { issuer, namespace: '/mixed' });
    await expect(socket.emitWithAck('guarded')).resolves.toEqual({ ok: true });
    await expect(socket.emitWithAck('decorated')).resolves.toEqual(forbidden);
    expect(calls).toEqual(['guarded', 'decorated']);
    expect(runs).toEqual(['guarded']);
  });
});

describe('next to WsAuthGuard', () => {
  test('each handler is decided by one of them, and a refusal is reported once', async () => {
    const failures: { event?: string }[] = [];
    const { url, issuer } = await start([MixedGateway], { hooks: { onAuthFailure: (info) => failures.push(info) } });
    const nobody = await connectAs(url, { sub: 'n', permissions: [] }, { issuer, namespace: '/mixed' });
    await expect(nobody.emitWithAck('guarded')).resolves.toEqual(forbidden);
    await expect(nobody.emitWithAck('decorated')).resolves.toEqual(forbidden);
    expect(failures.map((failure) => failure.event)).toEqual(['guarded', 'decorated']);

    const both = await connectAs(url, { sub: 'b', permissions: ['mixed:guarded', 'mixed:decorated'] }, { issuer, namespace: '/mixed' });
    await expect(both.emitWithAck('guarded')).resolves.toEqual({ ok: true });
    await expect(both.emitWithAck('decorated')).resolves.toEqual({ ok: true });
    expect(runs).toEqual(['guarded', 'decorated']);
  });

  test('as APP_GUARD it decides everything: one refusal report, one authorize call per message', async () => {
    const failures: unknown[] = [];
    const calls: string[] = [];
    const { url, issuer } = await start([DecoratedGateway, { provide: APP_GUARD, useClass: WsAuthGuard }], {
      hooks: { onAuthFailure: (info) => failures.push(info) },
      authorize: (_ctx, pattern) => {
        calls.push(pattern);
        return true;
      },
    });
    const reader = await connectAs(url, { sub: 'alice', permissions: ['chat:read'] }, { issuer });
    await expect(reader.emitWithAck('chat:send', {})).resolves.toEqual(forbidden);
    await expect(reader.emitWithAck('history')).resolves.toEqual({ ok: true, messages: [] });
    expect(failures).toHaveLength(1);
    expect(calls).toEqual(['history']);
  });
});

describe('start-up', () => {
  test('decorators without any guard no longer stop the application from starting', async () => {
    const app = await createNestApp({
      imports: [SockAuthModule.forRoot({ verifier: hs256Verifier(), authorize: () => true })],
      providers: [DecoratedGateway],
    });
    await expect(app.init()).resolves.toBe(app);
  });
});
