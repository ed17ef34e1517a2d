import { MemoryRevocationStore, WS_CLOSE_CODES, defaultMapClaims, type JWTPayload } from '@sockauth/core';
import { RedisRevocationStore } from '@sockauth/redis';
import { connectWs, startWsServer, type TestClient } from './support';
import { until } from '../../../test/support/async';
import { closeAll, closeAfterTest } from '@sockauth/testing';
import { startRedis, type RedisServer } from '../../../test/support/redis';
import { expAtLeast, mint, nowSec } from '../../../test/support/tokens';

afterEach(closeAll);

const EVENTS = { whoami: null, 'chat:join': 'chat:read', 'chat:send': 'chat:write' };
const ROOMS = { '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'] } as const;

/** A server whose `chat:join` joins through the room policy and `chat:send` broadcasts to the room. */
async function chatServer(options: Parameters<typeof startWsServer>[0] = {}) {
  const server = await startWsServer({ events: EVENTS, rooms: ROOMS, ...options });
  server.wsAuth.on('chat:join', async ({ room }: { room: string }, { ws }) => {
    await server.wsAuth.join(ws, room);
    return { ok: true };
  });
  server.wsAuth.on('chat:send', ({ room, text }: { room: string; text: string }, { context }) => {
    server.wsAuth.to(room).send('chat:message', { room, text, from: context.subject });
    return { ok: true };
  });
  return server;
}

async function expectCut(client: TestClient, code: 'AUTH_EXPIRED' | 'AUTH_REVOKED'): Promise<void> {
  const close = await client.closed;
  expect(close.code).toBe(WS_CLOSE_CODES[code]);
  expect(close.reason).toMatchObject({ code });
  // auth:error right before the close.
  expect(client.frames.at(-1)).toMatchObject({ type: 'auth:error', data: { code } });
}

describe('ws expiry', () => {
  test('auth:expiring before exp, then auth:error and close 4200; nothing handled after', async () => {
    const server = await chatServer({ warnBeforeSec: 1 });
    let handled = 0;
    server.wsAuth.on('whoami', () => ++handled);
    const client = await connectWs(server.url, await mint({ sub: 'alice', scope: 'chat:read' }, { exp: expAtLeast(1500) }));
    const expiring = await client.push<{ expiresAt: number; inMs: number }>('auth:expiring');
    expect(expiring.inMs).toBeGreaterThan(0);
    await expectCut(client, 'AUTH_EXPIRED');
    expect(server.wsAuth.size).toBe(0);
    expect(handled).toBe(0);
  });
});

describe('ws in-band re-auth', () => {
  test('auth:refresh swaps the context (version 2, new expiry); a token of someone else is refused, the connection stays', async () => {
    const { url } = await chatServer();
    const client = await connectWs(url, await mint({ sub: 'alice', scope: 'chat:read' }, { ttlSec: 30, iat: nowSec() - 5 }));
    const fresh = await mint({ sub: 'alice', scope: 'chat:read chat:write' }, { ttlSec: 120 });
    const ack = await client.request<{ ok: boolean; expiresAt: number; version: number }>('auth:refresh', { token: fresh });
    expect(ack).toMatchObject({ ok: true, version: 2 });
    expect(await client.request('whoami')).toMatchObject({ version: 2, permissions: ['chat:read', 'chat:write'], expiresAt: ack.expiresAt });
    const other = await client.request('auth:refresh', { token: await mint({ sub: 'mallory' }) });
    expect(other).toMatchObject({ ok: false, error: { code: 'AUTH_IDENTITY_MISMATCH', action: 'login' } });
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice', version: 2 });
  });
});

describe('ws revocation', () => {
  test('revoke({ subject }) cuts the live connections with auth:error and 4102; later upgrades are refused', async () => {
    const { url, wsAuth } = await chatServer({ revocationStore: new MemoryRevocationStore() });
    const token = await mint({ sub: 'alice', scope: 'chat:read' }, { iat: nowSec() - 5 });
    const a = await connectWs(url, token);
    const b = await connectWs(url, token);
    const bob = await connectWs(url, await mint({ sub: 'bob', scope: 'chat:read' }));
    expect(await wsAuth.revoke({ subject: 'alice' })).toEqual({ disconnected: 2 });
    await expectCut(a, 'AUTH_REVOKED');
    await expectCut(b, 'AUTH_REVOKED');
    expect(await bob.request('whoami')).toMatchObject({ subject: 'bob' });
  });

  describe('with the Redis store', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(() => redis.stop());

    test('a revocation recorded by another node cuts this node’s connections', async () => {
      const keyPrefix = `ws-${process.pid}-${Date.now()}:`;
      const [here, there] = [0, 1].map(() => {
        const store = new RedisRevocationStore({ url: redis.url, keyPrefix, healthCheckIntervalMs: 0 });
        closeAfterTest(() => store.close());
        return store;
      }) as [RedisRevocationStore, RedisRevocationStore];
      await Promise.all([here.ready(), there.ready()]);
      const { url } = await chatServer({ revocationStore: here, issuerClockSkewSec: 0 });
      const client = await connectWs(url, await mint({ sub: 'alice', scope: 'chat:read' }, { iat: nowSec() - 5 }));
      await there.revokeSubject('alice');
      await expectCut(client, 'AUTH_REVOKED');
    });
  });
});

describe('ws rooms', () => {
  test('joins go through the room policy; to(room) reaches the members only', async () => {
    const { url } = await chatServer();
    const alice = await connectWs(url, await mint({ sub: 'alice', scope: 'chat:read chat:write' }));
    const bob = await connectWs(url, await mint({ sub: 'bob', scope: 'chat:read' }));
    expect(await alice.request('chat:join', { room: 'lobby' })).toEqual({ ok: true });
    expect(await bob.request('chat:join', { room: 'staff-ops' })).toMatchObject({ error: { code: 'AUTH_FORBIDDEN', action: 'none' } });
    const message = alice.push('chat:message');
    expect(await alice.request('chat:send', { room: 'lobby', text: 'hi' })).toEqual({ ok: true });
    expect(await message).toEqual({ room: 'lobby', text: 'hi', from: 'alice' });
    expect(bob.frames.some((frame) => frame.type === 'chat:message')).toBe(false);
  });

  test('a live restriction evicts the rooms no longer allowed (auth:room-left) and nothing sent there reaches the connection', async () => {
    const denied = new Map<string, readonly string[]>();
    const server = await chatServer({
      mapClaims: (claims: JWTPayload) => {
        const identity = defaultMapClaims(claims);
        const deny = denied.get(identity.subject) ?? [];
        return { ...identity, permissions: [...(identity.permissions ?? [])].filter((p) => !deny.includes(p)) };
      },
    });
    const alice = await connectWs(server.url, await mint({ sub: 'alice', scope: 'chat:read chat:admin' }));
    const carol = await connectWs(server.url, await mint({ sub: 'carol', scope: 'chat:read chat:write chat:admin' }));
    await alice.request('chat:join', { room: 'lobby' });
    await alice.request('chat:join', { room: 'staff-ops' });
    await carol.request('chat:join', { room: 'staff-ops' });
    const left = alice.push('auth:room-left');
    denied.set('alice', ['chat:admin']);
    expect(await server.wsAuth.reevaluate({ subject: 'alice' })).toEqual({ affected: 1 });
    expect(await left).toEqual({ room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' });
    const echoed = carol.push('chat:message');
    await carol.request('chat:send', { room: 'staff-ops', text: 'secret' });
    await echoed;
    expect(await alice.request('whoami')).toMatchObject({ permissions: ['chat:read'] });
    expect(alice.frames.some((frame) => frame.type === 'chat:message')).toBe(false);
  });
});

describe('ws rate limit, hooks, re-auth evictions', () => {
  test('a flood past the rate limit is refused AUTH_UNAVAILABLE, then cut with auth:error and 4301', async () => {
    const { url } = await chatServer({ eventRateLimit: { perSecond: 1, burst: 2, disconnectAfter: 3 } });
    const client = await connectWs(url, await mint({ sub: 'alice', scope: 'chat:read' }));
    for (let id = 1; id <= 10; id++) client.sendRaw(JSON.stringify({ type: 'whoami', id }));
    const close = await client.closed;
    expect(close).toMatchObject({ code: WS_CLOSE_CODES.AUTH_UNAVAILABLE, reason: { code: 'AUTH_UNAVAILABLE', action: 'retry' } });
    const acks = client.frames.filter((frame) => frame.type === 'ack');
    expect(acks.slice(2).every((ack) => (ack.data as { error?: { code: string } }).error?.code === 'AUTH_UNAVAILABLE')).toBe(true);
    expect(client.frames.at(-1)).toMatchObject({ type: 'auth:error', data: { code: 'AUTH_UNAVAILABLE' } });
  });

  test('hooks see the connection by id and path (never a token): authenticated, then released once', async () => {
    const events: unknown[] = [];
    const { url } = await chatServer({
      hooks: {
        onAuthenticated: (info) => events.push(['authenticated', info.namespace, info.subject, info.stage]),
        onRelease: (info) => events.push(['released', info.namespace, info.subject, info.reason]),
      },
    });
    const client = await connectWs(url, await mint({ sub: 'alice' }));
    await client.request('whoami');
    client.ws.close();
    await client.closed;
    await until(() => events.length === 2);
    expect(events).toEqual([
      ['authenticated', '/ws', 'alice', 'handshake'],
      ['released', '/ws', 'alice', 'disconnect'],
    ]);
  });

  test('a re-auth with fewer permissions leaves the rooms it no longer allows before the refresh ack', async () => {
    const { url } = await chatServer();
    const client = await connectWs(url, await mint({ sub: 'alice', scope: 'chat:read chat:admin' }, { iat: nowSec() - 5 }));
    await client.request('chat:join', { room: 'staff-ops' });
    await client.request('chat:join', { room: 'lobby' });
    const ack = await client.request('auth:refresh', { token: await mint({ sub: 'alice', scope: 'chat:read' }) });
    expect(ack).toMatchObject({ ok: true, version: 2 });
    const leftAt = client.frames.findIndex((frame) => frame.type === 'auth:room-left');
    const ackAt = client.frames.findIndex((frame) => frame.type === 'ack' && (frame.data as { version?: number }).version === 2);
    expect(client.frames[leftAt]).toMatchObject({ data: { room: 'staff-ops', code: 'AUTH_FORBIDDEN' } });
    expect(leftAt).toBeLessThan(ackAt);
  });
});
