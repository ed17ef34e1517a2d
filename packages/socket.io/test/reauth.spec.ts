/**
 * In-band re-auth over the wire: `auth:refresh { token }` with an ack. Success swaps the context atomically
 * (new permissions and deadline in force at once, version + 1, `onContextChange`); every refusal leaves the
 * context in force untouched.
 */
import { MemoryRevocationStore, type AuthContext, type RevocationSubject } from '@sockauth/core';
import type { RefreshAck } from '@sockauth/socket.io';
import { closeAll, connectAs, type ClientSocket } from '@sockauth/testing';
import type { Socket } from 'socket.io';
import { installApp, serverSocket } from '../../../test/support/app';
import { deferred } from '../../../test/support/async';
import { eventsUntil, nextEvents } from '../../../test/support/clients';
import { startServer, type StartServerOptions } from '../../../test/support/servers';
import { mint, nowSec } from '../../../test/support/tokens';

afterEach(closeAll);

const EVENTS = { whoami: null, 'chat:send': 'chat:write', 'admin:kick': 'chat:admin' };
const FORBIDDEN = { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) } };

function refresh(socket: ClientSocket, payload: unknown): Promise<RefreshAck> {
  return socket.emitWithAck('auth:refresh', payload);
}

function failure(code: string, action: string): RefreshAck {
  return { ok: false, error: { code, action, message: expect.any(String) } } as unknown as RefreshAck;
}

async function setup(options: StartServerOptions['auth'] = {}) {
  const server = await startServer({ auth: { events: EVENTS, ...options } });
  const log = installApp(server.io, server.auth);
  const iat = nowSec() - 10;
  const token = await mint({ sub: 'alice', sid: 'sess-1', jti: 'jti-1', scope: 'chat:read' }, { iat });
  const socket = await connectAs(server.url, token);
  return { server, log, socket, token, iat };
}

describe('a successful refresh', () => {
  test('acks { ok: true, expiresAt, version } with the version incremented and the new permissions in force at once', async () => {
    const { server, log, socket } = await setup();
    expect(await socket.emitWithAck('chat:send', 'before')).toEqual(FORBIDDEN);
    const exp = nowSec() + 600;

    const ack = await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-1', jti: 'jti-2', scope: 'chat:read chat:write' }, { exp }) });

    expect(ack).toEqual({ ok: true, expiresAt: exp * 1000, version: 2 });
    expect(await socket.emitWithAck('chat:send', 'after')).toEqual({ ok: true, event: 'chat:send' });
    expect(await socket.emitWithAck('whoami')).toMatchObject({ subject: 'alice', version: 2, tokenId: 'jti-2', expiresAt: exp * 1000 });
    expect(serverSocket(server.io, socket.id).data.auth?.version).toBe(2);
    expect(log.runs.filter((run) => run.event === 'chat:send').map((run) => run.args[0])).toEqual(['after']);
  });

  test('removes permissions the new token no longer grants', async () => {
    const { log, socket } = await setup();
    await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-1', scope: 'chat:write chat:admin' }) });
    expect(await socket.emitWithAck('admin:kick')).toEqual({ ok: true, event: 'admin:kick' });

    expect(await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-1', scope: 'chat:write' }) })).toMatchObject({ ok: true, version: 3 });

    expect(await socket.emitWithAck('admin:kick')).toEqual(FORBIDDEN);
    expect(log.count('admin:kick')).toBe(1);
  });

  test('calls onContextChange, which can leave rooms the new permissions no longer allow', async () => {
    const changed = deferred<{ previous: AuthContext; current: AuthContext }>();
    const server = await startServer({
      auth: {
        events: EVENTS,
        onContextChange: (socket: Socket, change) => {
          if (!change.current.permissions.has('room:vip')) socket.leave('vip');
          changed.resolve(change);
        },
      },
      setup: (io) =>
        io.on('connection', (socket) => {
          socket.join('everyone');
          if (socket.data.auth?.permissions.has('room:vip')) socket.join('vip');
        }),
    });
    const socket = await connectAs(server.url, await mint({ sub: 'alice', scope: 'room:vip' }, { iat: nowSec() - 5 }));
    const before = nextEvents<string>(socket, 'news', 2);
    server.io.to('vip').emit('news', 'vip 1');
    server.io.to('everyone').emit('news', 'everyone 1');
    expect(await before).toEqual(['vip 1', 'everyone 1']);

    expect(await refresh(socket, { token: await mint({ sub: 'alice', scope: 'chat:read' }) })).toMatchObject({ ok: true, version: 2 });
    const change = await changed.promise;
    // Packets of one connection arrive in order: had 'vip 2' been sent, it would come before 'everyone 2'.
    const after = eventsUntil<string>(socket, 'news', (text) => text === 'everyone 2');
    server.io.to('vip').emit('news', 'vip 2');
    server.io.to('everyone').emit('news', 'everyone 2');

    expect(await after).toEqual(['everyone 2']);
    expect(change.previous.version).toBe(1);
    expect(change.current.version).toBe(2);
    expect(change.previous.permissions.has('room:vip')).toBe(true);
    expect(change.current.permissions.has('room:vip')).toBe(false);
  });

  test('a throwing onContextChange does not undo the refresh', async () => {
    const { socket } = await setup({
      onContextChange: () => {
        throw new Error('app bug');
      },
    });

    expect(await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-1', scope: 'chat:write' }) })).toMatchObject({ ok: true, version: 2 });
    expect(await socket.emitWithAck('chat:send')).toEqual({ ok: true, event: 'chat:send' });
  });

  test('auth:refresh never reaches application handlers', async () => {
    const { server, socket } = await setup();
    const appHandler = jest.fn();
    serverSocket(server.io, socket.id).on('auth:refresh', appHandler);

    await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-1' }) });
    await refresh(socket, { token: 'garbage' });

    expect(appHandler).not.toHaveBeenCalled();
  });
});

describe('a refused refresh leaves the context in force untouched', () => {
  async function expectUnchanged(socket: ClientSocket): Promise<void> {
    expect(await socket.emitWithAck('whoami')).toMatchObject({ subject: 'alice', version: 1, tokenId: 'jti-1', permissions: ['chat:read'] });
    expect(socket.connected).toBe(true);
  }

  test('another subject: AUTH_IDENTITY_MISMATCH, and the old identity and permissions still work', async () => {
    const { socket } = await setup();

    const ack = await refresh(socket, { token: await mint({ sub: 'mallory', sid: 'sess-1', scope: 'chat:read chat:write chat:admin' }) });

    expect(ack).toEqual(failure('AUTH_IDENTITY_MISMATCH', 'login'));
    expect(await socket.emitWithAck('chat:send')).toEqual(FORBIDDEN);
    await expectUnchanged(socket);
  });

  test('another session of the same subject: AUTH_IDENTITY_MISMATCH', async () => {
    const { socket } = await setup();

    expect(await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-2', scope: 'chat:write' }) })).toEqual(
      failure('AUTH_IDENTITY_MISMATCH', 'login'),
    );
    expect(await refresh(socket, { token: await mint({ sub: 'alice', scope: 'chat:write' }) })).toEqual(failure('AUTH_IDENTITY_MISMATCH', 'login'));
    await expectUnchanged(socket);
  });

  test('a token issued before the one in force: AUTH_STALE', async () => {
    const { socket, iat } = await setup();

    const ack = await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-1', scope: 'chat:write' }, { iat: iat - 60 }) });

    expect(ack).toEqual(failure('AUTH_STALE', 'refresh'));
    await expectUnchanged(socket);
  });

  test('replaying the token previously in force: AUTH_STALE', async () => {
    const { socket, token } = await setup();
    const second = await mint({ sub: 'alice', sid: 'sess-1', jti: 'jti-2', scope: 'chat:read' });
    expect(await refresh(socket, { token: second })).toMatchObject({ ok: true, version: 2 });

    expect(await refresh(socket, { token })).toEqual(failure('AUTH_STALE', 'refresh'));

    expect(await socket.emitWithAck('whoami')).toMatchObject({ version: 2, tokenId: 'jti-2' });
  });

  test('a revoked token: AUTH_REVOKED, and the socket stays on its own token', async () => {
    const { server, socket } = await setup();
    const revoked = await mint({ sub: 'alice', sid: 'sess-1', jti: 'jti-revoked', scope: 'chat:write' });
    expect(await server.auth.revoke({ tokenId: 'jti-revoked' })).toEqual({ disconnected: 0 });

    expect(await refresh(socket, { token: revoked })).toEqual(failure('AUTH_REVOKED', 'login'));
    await expectUnchanged(socket);
  });

  test('garbage: AUTH_INVALID', async () => {
    const { socket } = await setup();
    expect(await refresh(socket, { token: 'not.a.jwt' })).toEqual(failure('AUTH_INVALID', 'login'));
    expect(await refresh(socket, { token: 42 })).toEqual(failure('AUTH_INVALID', 'login'));
    await expectUnchanged(socket);
  });

  test('an expired token: AUTH_EXPIRED', async () => {
    const { socket } = await setup();
    expect(await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-1' }, { exp: nowSec() - 5 }) })).toEqual(failure('AUTH_EXPIRED', 'refresh'));
    await expectUnchanged(socket);
  });

  test('a token not valid yet: AUTH_NOT_YET_VALID', async () => {
    const { socket } = await setup();
    expect(await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-1' }, { nbf: nowSec() + 60 }) })).toEqual(
      failure('AUTH_NOT_YET_VALID', 'retry'),
    );
    await expectUnchanged(socket);
  });

  test('no token: AUTH_MISSING', async () => {
    const { socket } = await setup();
    expect(await refresh(socket, {})).toEqual(failure('AUTH_MISSING', 'login'));
    expect(await refresh(socket, null)).toEqual(failure('AUTH_MISSING', 'login'));
    expect(await refresh(socket, 'a-bare-string')).toEqual(failure('AUTH_MISSING', 'login'));
    await expectUnchanged(socket);
  });

  test('a revocation store that cannot answer: AUTH_UNAVAILABLE (retry), fail closed', async () => {
    let storeDown = false;
    class FlakyStore extends MemoryRevocationStore {
      override async isRevoked(token: RevocationSubject): Promise<boolean> {
        if (storeDown) throw new Error('ETIMEDOUT');
        return super.isRevoked(token);
      }
    }
    const { socket } = await setup({ revocationStore: new FlakyStore() });
    storeDown = true;

    expect(await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-1', scope: 'chat:write' }) })).toEqual(failure('AUTH_UNAVAILABLE', 'retry'));
    await expectUnchanged(socket);
  });

  test('more than maxReauthsPerMinute attempts: AUTH_UNAVAILABLE (retry), without touching the context', async () => {
    const { socket } = await setup({ maxReauthsPerMinute: 2 });
    const fresh = () => mint({ sub: 'alice', sid: 'sess-1', scope: 'chat:read' });

    expect(await refresh(socket, { token: await fresh() })).toMatchObject({ ok: true, version: 2 });
    expect(await refresh(socket, { token: 'garbage' })).toEqual(failure('AUTH_INVALID', 'login'));
    expect(await refresh(socket, { token: await fresh() })).toEqual(failure('AUTH_UNAVAILABLE', 'retry'));

    expect(await socket.emitWithAck('whoami')).toMatchObject({ version: 2 });
  });

  test('the rate limit is per socket', async () => {
    const { server, socket } = await setup({ maxReauthsPerMinute: 1 });
    const other = await connectAs(server.url, await mint({ sub: 'alice', sid: 'sess-1', jti: 'jti-9' }));
    const fresh = () => mint({ sub: 'alice', sid: 'sess-1' });

    expect(await refresh(socket, { token: await fresh() })).toMatchObject({ ok: true });
    expect(await refresh(socket, { token: await fresh() })).toEqual(failure('AUTH_UNAVAILABLE', 'retry'));
    expect(await refresh(other, { token: await fresh() })).toMatchObject({ ok: true });
  });
});

describe('a refresh racing events', () => {
  test('an event sent right after auth:refresh is checked against the old or the new context, never none', async () => {
    const { log, socket } = await setup();
    const token = await mint({ sub: 'alice', sid: 'sess-1', jti: 'jti-2', scope: 'chat:read chat:write' });

    const [ack, whoami, send] = await Promise.all([
      refresh(socket, { token }),
      socket.emitWithAck('whoami'),
      socket.emitWithAck('chat:send', 'racing'),
    ]);

    expect(ack).toMatchObject({ ok: true, version: 2 });
    expect([1, 2]).toContain(whoami.version);
    expect(whoami.subject).toBe('alice');
    // chat:send needs chat:write, which only the new context grants: allowed iff it saw version 2.
    const sendRun = log.runs.find((run) => run.event === 'chat:send');
    if (send.ok === true) expect(sendRun?.context?.version).toBe(2);
    else expect(send).toEqual(FORBIDDEN);
    expect(log.runs.every((run) => run.context !== undefined)).toBe(true);
  });

  test('a burst of events interleaved with refreshes is always handled with a context, in order', async () => {
    const { log, socket } = await setup();
    const tokens = await Promise.all([2, 3, 4].map((n) => mint({ sub: 'alice', sid: 'sess-1', jti: `jti-${n}`, scope: 'chat:read chat:write' })));
    const pending: Promise<unknown>[] = [];

    for (let i = 0; i < 30; i++) {
      if (i % 10 === 5) pending.push(refresh(socket, { token: tokens[(i - 5) / 10] }));
      pending.push(socket.emitWithAck('whoami'));
    }
    const results = await Promise.all(pending);

    const versions = results.filter((r): r is { version: number } => typeof r === 'object' && r !== null && 'subject' in r).map((r) => r.version);
    expect(versions).toHaveLength(30);
    expect(versions.every((v) => v >= 1 && v <= 4)).toBe(true);
    // The context only moves forward.
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(log.runs.every((run) => run.context !== undefined)).toBe(true);
  });

  test('an event checked by an async authorize hook while a refresh commits sees a context, and the refresh takes effect', async () => {
    const gate = deferred();
    const entered = deferred();
    const { log, socket } = await setup({
      authorize: async (context, action) => {
        if (action === 'chat:read') {
          entered.resolve();
          await gate.promise;
        }
        return context.subject === 'alice';
      },
      events: { ...EVENTS, 'chat:read': null },
    });

    const read = socket.emitWithAck('chat:read', 'slow');
    await entered.promise;
    const ack = await refresh(socket, { token: await mint({ sub: 'alice', sid: 'sess-1', jti: 'jti-2', scope: 'chat:read chat:write' }) });
    gate.resolve();

    expect(ack).toMatchObject({ ok: true, version: 2 });
    expect(await read).toEqual({ ok: true, event: 'chat:read' });
    expect(log.runs.find((run) => run.event === 'chat:read')?.context?.version).toBe(2);
  });
});
