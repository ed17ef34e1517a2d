import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { MemoryRevocationStore, createAuthContext } from '@sockauth/core';
import { RedisRevocationStore } from '@sockauth/redis';
import {
  MAX_DENIED_PERMISSIONS,
  MemoryRestrictions,
  parseRestriction,
  restrictedMapClaims,
} from '@sockauth/example-chat-common/restrictions';
import { RedisRestrictions, refreshingRestrictions } from '@sockauth/example-chat-common/redis-restrictions';
import { until } from '../../../test/support/async';
import { startRedis, type RedisServer } from '../../../test/support/redis';

const exp = Math.floor(Date.now() / 1000) + 600;

function permissionsOf(mapper: ReturnType<typeof restrictedMapClaims>, claims: Record<string, unknown>): string[] {
  return createAuthContext({ exp, ...claims }, 1, mapper).permissions.toArray().sort();
}

describe('parseRestriction', () => {
  it('accepts { subject, deny: string[] } and dedupes deny', () => {
    expect(parseRestriction({ subject: 'alice', deny: ['chat:read', 'chat:read'] })).toEqual({ subject: 'alice', deny: ['chat:read'] });
    expect(parseRestriction({ subject: 'alice', deny: [] })).toEqual({ subject: 'alice', deny: [] });
  });

  it.each([
    {},
    { subject: 'alice' },
    { deny: [] },
    { subject: '', deny: [] },
    { subject: 42, deny: [] },
    { subject: 'alice', deny: 'chat:read' },
    { subject: 'alice', deny: [1] },
    { subject: 'alice', deny: [''] },
    { subject: 'alice', deny: Array.from({ length: MAX_DENIED_PERMISSIONS + 1 }, (_, i) => `p:${i}`) },
  ])('refuses %j with a TypeError', (body) => {
    expect(() => parseRestriction(body)).toThrow(TypeError);
  });
});

describe('restrictedMapClaims', () => {
  it('withholds the denied permissions of that subject only, and follows the registry live', async () => {
    const registry = new MemoryRestrictions();
    const mapper = restrictedMapClaims(registry);
    await registry.restrict('alice', ['chat:read']);
    expect(permissionsOf(mapper, { sub: 'alice', scope: 'chat:read chat:write' })).toEqual(['chat:write']);
    expect(permissionsOf(mapper, { sub: 'bob', scope: 'chat:read chat:write' })).toEqual(['chat:read', 'chat:write']);
    // Exact subject: no prefix or case tricks.
    expect(permissionsOf(mapper, { sub: 'Alice', scope: 'chat:read' })).toEqual(['chat:read']);
    await registry.restrict('alice', []);
    expect(permissionsOf(mapper, { sub: 'alice', scope: 'chat:read chat:write' })).toEqual(['chat:read', 'chat:write']);
  });

  it('fails closed on wildcards: a held ns:* covering a denied permission is withheld whole, a denied ns:* withholds ns:…', async () => {
    const registry = new MemoryRestrictions();
    const mapper = restrictedMapClaims(registry);
    await registry.restrict('root', ['chat:read']);
    expect(permissionsOf(mapper, { sub: 'root', permissions: ['chat:*', 'ops:deploy'] })).toEqual(['ops:deploy']);
    await registry.restrict('root', ['chat:*']);
    expect(permissionsOf(mapper, { sub: 'root', permissions: ['chat:read', 'chat:admin', 'chatter:x'] })).toEqual(['chatter:x']);
  });
});

describe('RedisRestrictions (real Redis, two nodes)', () => {
  let redis: RedisServer;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function node(key: string): Promise<RedisRestrictions> {
    const registry = new RedisRestrictions(redis.url, { key });
    closers.push(() => registry.close());
    await registry.ready();
    return registry;
  }

  it('a restriction made on one node is seen by the other, replaced by a later one, lifted by []', async () => {
    const key = `{t-${randomUUID()}}:restrictions`;
    const [a, b] = [await node(key), await node(key)];
    await a.restrict('alice', ['chat:read']);
    await until(() => b.deniedTo('alice')?.has('chat:read') === true);
    await b.restrict('alice', ['chat:write']);
    await until(() => a.deniedTo('alice')?.has('chat:read') === false);
    expect(a.deniedTo('alice')?.has('chat:write')).toBe(true);
    await a.restrict('alice', []);
    await until(() => b.deniedTo('alice') === undefined);
    // A node started later loads what is in force.
    await a.restrict('carol', ['chat:admin']);
    expect((await node(key)).deniedTo('carol')?.has('chat:admin')).toBe(true);
  });

  it('refreshingRestrictions: a node re-reads the subject before re-evaluating, even when the update has not reached it', async () => {
    const key = `{t-${randomUUID()}}:restrictions`;
    const keyPrefix = `{t-${randomUUID().slice(0, 8)}}:`;
    const b = await node(key);
    const store = new RedisRevocationStore({ url: redis.url, keyPrefix, healthCheckIntervalMs: 0 });
    closers.push(() => store.close());
    await store.ready();
    const wrapped = refreshingRestrictions(store, b);
    const seen: (boolean | undefined)[] = [];
    wrapped.onReevaluation!(async () => (seen.push(b.deniedTo('alice')?.has('chat:read')), 1));
    // Written behind the registry's back: no update message, so only the refresh can tell node b.
    const raw = createClient({ url: redis.url });
    raw.on('error', () => undefined);
    await raw.connect();
    closers.push(() => raw.close());
    await raw.hSet(key, 'alice', JSON.stringify(['chat:read']));
    expect(b.deniedTo('alice')).toBeUndefined();
    await expect(wrapped.requestReevaluation!({ subject: 'alice' })).resolves.toEqual({ affected: 1, nodes: 1 });
    expect(seen).toEqual([true]);
  });

  it('refreshingRestrictions keeps every other member of the store', async () => {
    const store = new MemoryRevocationStore({ retentionSec: 60 });
    const wrapped = refreshingRestrictions(store, new MemoryRestrictions());
    expect(wrapped.retentionSec).toBe(60);
    const record = await wrapped.revokeSubject('alice');
    expect(record.kind).toBe('subject');
    await expect(wrapped.isRevoked({ subject: 'alice', issuedAt: 0, expiresAt: Date.now() + 1000 })).resolves.toBe(true);
  });
});
