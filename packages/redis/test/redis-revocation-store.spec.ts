import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { AuthUnavailableError, MemoryRevocationStore, isAuthError, type RevocationRecord, type RevocationSubject } from '@sockauth/core';
import { RedisRevocationStore, type RedisRevocationStoreOptions, type RedisStoreStatus } from '@sockauth/redis';
import { keyNames } from '../src/keys.js';
import { WRITE } from '../src/scripts.js';
import { within } from '../../../test/support/async.js';
import { startRedis, startTcpProxy, type RedisServer, type TcpProxy } from '../../../test/support/redis.js';

/**
 * The store against a real redis-server (started by the test on a free loopback port). Every test uses its own
 * hash-tagged key prefix, so tests never see each other's records.
 */

/** A plain client for inspecting Redis (RESP2: plain arrays and strings). */
function newRawClient(url: string) {
  return createClient({ url, RESP: 2 });
}
type RawClient = ReturnType<typeof newRawClient>;

const WAIT_MS = 10_000;

let redis: RedisServer;
let raw: RawClient;
const opened: RedisRevocationStore[] = [];
const proxies: TcpProxy[] = [];

async function rawClient(url: string): Promise<RawClient> {
  const client = newRawClient(url);
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

beforeAll(async () => {
  redis = await startRedis();
  raw = await rawClient(redis.url);
});

afterAll(async () => {
  await raw?.close().catch(() => undefined);
  await redis?.stop();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

/** Watches a store's status; `reach(status)` resolves once it is (or was, since the last call) in that status. */
function statusWatcher(): { onStatusChange: (status: RedisStoreStatus) => void; reach(status: RedisStoreStatus): Promise<void>; seen: RedisStoreStatus[] } {
  const seen: RedisStoreStatus[] = [];
  const waiters: { status: RedisStoreStatus; resolve: () => void }[] = [];
  return {
    seen,
    onStatusChange(status) {
      seen.push(status);
      for (const waiter of waiters.filter((w) => w.status === status)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    reach(status) {
      return within(
        new Promise<void>((resolve) => waiters.push({ status, resolve })),
        `status ${status} (seen: ${seen.join(' → ')})`,
        WAIT_MS,
      );
    },
  };
}

/** Resolves with the next record delivered to a listener of `store` for which `match` holds. */
function nextRecord(store: RedisRevocationStore, match: (record: RevocationRecord) => boolean = () => true): Promise<RevocationRecord> {
  return within(
    new Promise((resolve) => {
      const off = store.subscribe((record) => {
        if (!match(record)) return;
        off();
        resolve(record);
      });
    }),
    'a revocation record',
    WAIT_MS,
  );
}

/** A hash-tagged prefix (used as is), so every test runs the store as it runs on Redis Cluster. */
function uniquePrefix(): string {
  return `{t-${randomUUID().slice(0, 8)}}:`;
}

async function open(options: Partial<RedisRevocationStoreOptions> = {}): Promise<RedisRevocationStore> {
  const store = new RedisRevocationStore({ url: redis.url, healthCheckIntervalMs: 0, ...options } as RedisRevocationStoreOptions);
  opened.push(store);
  await store.ready(WAIT_MS);
  return store;
}

function token(subject: string, extra: Partial<RevocationSubject> = {}): RevocationSubject {
  return { subject, issuedAt: Date.now() - 1_000, expiresAt: Date.now() + 60_000, ...extra };
}

/** Calls per command from `INFO commandstats`, e.g. `{ evalsha: 3, mget: 1 }`. */
function commandCalls(): Promise<Record<string, number>> {
  return commandCallsOf(raw);
}

async function commandCallsOf(client: RawClient): Promise<Record<string, number>> {
  const info = await client.sendCommand<string>(['INFO', 'commandstats']);
  const calls: Record<string, number> = {};
  for (const match of String(info).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after)) if (calls !== (before[name] ?? 0)) changed[name] = calls - (before[name] ?? 0);
  return changed;
}

describe('RedisRevocationStore: records in Redis', () => {
  it('keeps a token revocation until the token expires, with a matching TTL', async () => {
    const keyPrefix = uniquePrefix();
    const store = await open({ keyPrefix });
    const until = Date.now() + 30_000;
    const record = await store.revokeToken('jti-1', until);
    expect(record).toMatchObject({ kind: 'token', id: 'jti-1', until });
    const ttl = await raw.pTTL(`${keyPrefix}rev:token:jti-1`);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    expect(await store.isRevoked(token('bob', { tokenId: 'jti-1' }))).toBe(true);
    expect(await store.isRevoked(token('bob', { tokenId: 'jti-2' }))).toBe(false);
  });

  it('keeps subject and session revocations for retentionSec, and subject ones only for tokens issued before', async () => {
    const keyPrefix = uniquePrefix();
    const store = await open({ keyPrefix, retentionSec: 120 });
    const since = Date.now();
    await store.revokeSubject('alice', since);
    await store.revokeSession('sid-1');
    for (const key of [`${keyPrefix}rev:subject:alice`, `${keyPrefix}rev:session:sid-1`]) {
      const ttl = await raw.pTTL(key);
      expect(ttl).toBeGreaterThan(115_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
    }
    expect(await store.isRevoked(token('alice', { issuedAt: since - 1 }))).toBe(true);
    expect(await store.isRevoked(token('alice', { issuedAt: since + 1_000 }))).toBe(false); // logged in again
    expect(await store.isRevoked(token('carol', { sessionId: 'sid-1' }))).toBe(true);
  });

  it('agrees with the memory store on subject revocations whose since lies ahead (the issuer clock skew), on every node', async () => {
    const keyPrefix = uniquePrefix();
    const [writer, reader] = [await open({ keyPrefix, retentionSec: 600 }), await open({ keyPrefix, retentionSec: 600 })];
    expect(writer.retentionSec).toBe(600);
    const memory = new MemoryRevocationStore({ retentionSec: 600 });
    const since = Date.now() + 5_000.4; // now + skew, not a whole ms: both round it up
    const received = nextRecord(reader);
    const [stored, remembered] = [await writer.revokeSubject('alice', since), await memory.revokeSubject('alice', since)];
    expect(stored).toMatchObject({ kind: 'subject', since: Math.ceil(since) });
    expect(remembered).toMatchObject({ kind: 'subject', since: Math.ceil(since) });
    expect(await received).toMatchObject({ since: Math.ceil(since) });
    for (const issuedAt of [since - 5_000, since - 1, since, Math.ceil(since), since + 0.6, since + 1_000]) {
      const expected = await memory.isRevoked(token('alice', { issuedAt }));
      expect([issuedAt - since, await writer.isRevoked(token('alice', { issuedAt }))]).toEqual([issuedAt - since, expected]);
      expect([issuedAt - since, await reader.isRevoked(token('alice', { issuedAt }))]).toEqual([issuedAt - since, expected]);
    }
    await expect(writer.revokeSubject('alice', Number.NaN)).rejects.toThrow(TypeError);
    await expect(memory.revokeSubject('alice', Number.NaN)).rejects.toThrow(TypeError);
  });

  it('keeps the widest record when the same target is revoked again (latest since, latest until)', async () => {
    const keyPrefix = uniquePrefix();
    const store = await open({ keyPrefix });
    const later = Date.now() + 60_000;
    await store.revokeToken('jti-w', later);
    const second = await store.revokeToken('jti-w', Date.now() + 10_000);
    expect(second.until).toBe(later);
    await store.revokeSubject('dave', 2_000);
    const again = await store.revokeSubject('dave', 1_000);
    expect(again.since).toBe(2_000);
  });

  it('writes each revocation with one script call: record, log and publication are atomic', async () => {
    const keyPrefix = uniquePrefix();
    const store = await open({ keyPrefix });
    // Whoever receives the publication finds the record already stored, with its TTL.
    const watcher = await rawClient(redis.url);
    const seenOnChannel = new Promise<{ value: string | null; ttl: number }>((resolve) => {
      void watcher.subscribe(`${keyPrefix}revocations`, () => {
        void Promise.all([raw.get(`${keyPrefix}rev:subject:erin`), raw.pTTL(`${keyPrefix}rev:subject:erin`)]).then(([value, ttl]) =>
          resolve({ value, ttl }),
        );
      });
    });
    const before = await commandCalls();
    await store.revokeSubject('erin');
    const after = await commandCalls();
    const seen = await within(seenOnChannel, 'the publication', WAIT_MS);
    await watcher.close();
    expect(seen.value).toMatch(/^\d+\|\d+\|\d+$/);
    expect(seen.ttl).toBeGreaterThan(0);
    // From the client: one EVALSHA (the SET, ZADDs, INCR and PUBLISH inside it are counted as script calls).
    expect(delta(before, after)).toMatchObject({ evalsha: 1 });
    expect(delta(before, after)['set']).toBe(1);
    expect(delta(before, after)['publish']).toBe(1);
    expect(await raw.zCard(`${keyPrefix}log`)).toBe(1);
    expect(await raw.zCard(`${keyPrefix}exp`)).toBe(1);
  });

  it('numbers concurrent writes from several nodes without gaps or duplicates', async () => {
    const keyPrefix = uniquePrefix();
    const [a, b] = await Promise.all([open({ keyPrefix }), open({ keyPrefix })]);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).revokeSession(`s-${i}`)),
    );
    expect(Number(await raw.get(`${keyPrefix}seq`))).toBe(40);
    const scores = (await raw.zRangeWithScores(`${keyPrefix}log`, 0, -1)).map((entry) => entry.score).sort((x, y) => x - y);
    expect(scores).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('keeps Redis memory bounded: records expire, the log is pruned, the indexes expire with their last record', async () => {
    const keyPrefix = uniquePrefix();
    const store = await open({ keyPrefix, retentionSec: 1 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.revokeSession(`short-${i}`)));
    expect(await raw.zCard(`${keyPrefix}log`)).toBe(100);
    const indexTtl = await raw.pTTL(`${keyPrefix}log`);
    expect(indexTtl).toBeGreaterThan(0);
    expect(indexTtl).toBeLessThanOrEqual(1_000);
    // Wait for Redis to expire them (time-based: poll, bounded).
    const deadline = Date.now() + WAIT_MS;
    while ((await raw.exists(`${keyPrefix}log`)) === 1 || (await raw.keys(`${keyPrefix}rev:*`)).length > 0) {
      if (Date.now() > deadline) throw new Error('records did not expire');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // One more write prunes nothing left and leaves exactly one record behind.
    const survivor = await open({ keyPrefix, retentionSec: 60 });
    await survivor.revokeSession('long');
    expect(await raw.zCard(`${keyPrefix}log`)).toBe(1);
    expect((await raw.keys(`${keyPrefix}*`)).sort()).toEqual(
      [`${keyPrefix}epoch`, `${keyPrefix}exp`, `${keyPrefix}log`, `${keyPrefix}rev:session:long`, `${keyPrefix}seq`].sort(),
    );
  });

  it('prunes expired members from the log on later writes even while other records keep the indexes alive', async () => {
    const keyPrefix = uniquePrefix();
    const store = await open({ keyPrefix, retentionSec: 60 });
    await store.revokeToken('soon', Date.now() + 200);
    await store.revokeToken('late', Date.now() + 60_000);
    expect(await raw.zCard(`${keyPrefix}log`)).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 300)); // 'soon' expires (an absence: no event to await)
    await store.revokeToken('another', Date.now() + 60_000);
    expect((await raw.zRange(`${keyPrefix}log`, 0, -1)).sort()).toEqual(['token:another', 'token:late']);
  });
});

describe('RedisRevocationStore: propagation and cache', () => {
  it('hands every revocation to the listeners of every node, once', async () => {
    const keyPrefix = uniquePrefix();
    const [a, b] = await Promise.all([open({ keyPrefix }), open({ keyPrefix })]);
    const onA: RevocationRecord[] = [];
    const onB: RevocationRecord[] = [];
    a.subscribe((record) => onA.push(record));
    b.subscribe((record) => onB.push(record));
    const arrivedOnB = nextRecord(b, (record) => record.id === 'frank');
    const record = await a.revokeSubject('frank');
    // The writing node's listeners ran before revoke() resolved.
    expect(onA).toEqual([record]);
    expect(await arrivedOnB).toEqual(record);
    // The echo of A's own write, and anything else, does not deliver it again.
    await a.revokeSession('marker');
    await within(
      new Promise<void>((resolve) => {
        if (onB.some((r) => r.id === 'marker')) resolve();
        else b.subscribe((r) => r.id === 'marker' && resolve());
      }),
      'the marker',
      WAIT_MS,
    );
    expect(onA.map((r) => r.id)).toEqual(['frank', 'marker']);
    expect(onB.map((r) => r.id)).toEqual(['frank', 'marker']);
    expect(await b.isRevoked(token('frank'))).toBe(true);
  });

  it('answers isRevoked from memory while in sync: no Redis command at all', async () => {
    const keyPrefix = uniquePrefix();
    const [a, b] = await Promise.all([open({ keyPrefix }), open({ keyPrefix })]);
    const arrived = nextRecord(b);
    await a.revokeSubject('gina');
    await arrived;
    expect(b.status).toBe('synced');
    const before = await commandCalls();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => b.isRevoked(token(i % 2 === 0 ? 'gina' : `user-${i}`, { sessionId: `s${i}`, tokenId: `j${i}` }))),
    );
    const after = await commandCalls();
    expect(answers.filter(Boolean)).toHaveLength(100);
    // Only the INFO of this test itself ran in between.
    expect(delta(before, after)).toEqual({ info: 1 });
  });

  it('fills the mirror of a node that starts after the revocations were made', async () => {
    const keyPrefix = uniquePrefix();
    const a = await open({ keyPrefix });
    await a.revokeSubject('hank');
    await a.revokeToken('jti-h', Date.now() + 60_000);
    const late = await open({ keyPrefix });
    const before = await commandCalls();
    expect(await late.isRevoked(token('hank'))).toBe(true);
    expect(await late.isRevoked(token('ivy', { tokenId: 'jti-h' }))).toBe(true);
    expect(delta(before, await commandCalls())).toEqual({ info: 1 });
  });

  it('re-reads the log when a message was missed (a gap in the sequence) and delivers the missed record', async () => {
    const keyPrefix = uniquePrefix();
    const b = await open({ keyPrefix });
    const a = await open({ keyPrefix });
    const keys = keyNames(keyPrefix);
    const missed = nextRecord(b, (record) => record.id === 'lost');
    // A write whose publication B never receives (published on another channel), then a normal one.
    const now = Date.now();
    await raw.sendCommand([
      'EVAL',
      WRITE.source,
      '5',
      `${keys.record}subject:lost`,
      keys.log,
      keys.exp,
      keys.seq,
      keys.epoch,
      'subject:lost',
      'subject',
      'lost',
      String(now),
      String(now + 60_000),
      String(now),
      'elsewhere',
      'unused',
    ]);
    await a.revokeSubject('found');
    expect(await missed).toMatchObject({ kind: 'subject', id: 'lost' });
    expect(await b.isRevoked(token('lost'))).toBe(true);
  });

  it('ignores malformed and foreign messages on its channel', async () => {
    const keyPrefix = uniquePrefix();
    const store = await open({ keyPrefix });
    const delivered: RevocationRecord[] = [];
    store.subscribe((record) => delivered.push(record));
    await raw.publish(`${keyPrefix}revocations`, 'not a record');
    await raw.publish(`${keyPrefix}revocations`, 'other-epoch|999|subject|1|99999999999999|mallory');
    await store.revokeSession('after-noise');
    await within(
      (async () => {
        while (store.status !== 'synced') await new Promise((resolve) => setTimeout(resolve, 20));
      })(),
      'back in sync',
      WAIT_MS,
    );
    expect(delivered.map((r) => r.id)).toEqual(['after-noise']);
    expect(await store.isRevoked(token('mallory'))).toBe(false);
  });

  it('works from an existing client (duplicated, never closed by the store)', async () => {
    const keyPrefix = uniquePrefix();
    const client = createClient({ url: redis.url });
    client.on('error', () => undefined);
    await client.connect();
    const store = new RedisRevocationStore({ client, keyPrefix, healthCheckIntervalMs: 0 });
    opened.push(store);
    await store.ready(WAIT_MS);
    await store.revokeSubject('jill');
    expect(await store.isRevoked(token('jill'))).toBe(true);
    await store.close();
    expect(client.isReady).toBe(true);
    expect(await client.get(`${keyPrefix}rev:subject:jill`)).toMatch(/^\d+\|/);
    await client.close();
  });

  it('close() quits both connections; afterwards every call rejects with AUTH_UNAVAILABLE', async () => {
    const name = `sockauth-close-${randomUUID().slice(0, 6)}`;
    const named = async (): Promise<number> =>
      String(await raw.sendCommand(['CLIENT', 'LIST']))
        .split('\n')
        .filter((line) => line.includes(` name=${name} `)).length;
    // The connection settings (here: the client name) come from the given client; it is never connected.
    const template = createClient({ url: redis.url, name });
    const store = new RedisRevocationStore({ client: template, keyPrefix: uniquePrefix(), healthCheckIntervalMs: 0 });
    await store.ready(WAIT_MS);
    expect(await named()).toBe(2);
    await store.close();
    await store.close(); // idempotent
    // QUIT's reply reaches the store before Redis frees the connection: CLIENT LIST on another connection may still
    // list it for a moment, so wait (bounded) until Redis has let both go.
    const deadline = Date.now() + WAIT_MS;
    while ((await named()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await named()).toBe(0);
    expect(store.status).toBe('closed');
    await expect(store.isRevoked(token('x'))).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
    await expect(store.revokeSubject('x')).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
    await expect(store.ready(100)).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
  });

  it('validates its options', () => {
    expect(() => new RedisRevocationStore({} as RedisRevocationStoreOptions)).toThrow(TypeError);
    expect(() => new RedisRevocationStore({ url: redis.url, client: raw } as RedisRevocationStoreOptions)).toThrow(TypeError);
    expect(() => new RedisRevocationStore({ url: redis.url, failMode: 'maybe' as 'open' })).toThrow(TypeError);
    expect(() => new RedisRevocationStore({ url: redis.url, retentionSec: 0 })).toThrow(TypeError);
    expect(() => new RedisRevocationStore({ url: redis.url, channel: '' })).toThrow(TypeError);
    // No hash tag can be derived from an empty prefix (and it would write bare `log`, `seq` keys).
    expect(() => new RedisRevocationStore({ url: redis.url, keyPrefix: '' })).toThrow(TypeError);
    expect(() => new RedisRevocationStore({ url: redis.url, now: 'Date.now' as unknown as () => number })).toThrow(TypeError);
  });
});

describe('RedisRevocationStore: when Redis is unreachable', () => {
  let own: RedisServer;
  beforeEach(async () => {
    own = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await own.stop();
  });

  async function openOn(server: { url: string }, options: Partial<RedisRevocationStoreOptions> = {}) {
    const status = statusWatcher();
    const store = new RedisRevocationStore({
      url: server.url,
      healthCheckIntervalMs: 0,
      commandTimeoutMs: 500,
      connectTimeoutMs: 1_000,
      onStatusChange: status.onStatusChange,
      ...options,
    } as RedisRevocationStoreOptions);
    opened.push(store);
    await store.ready(WAIT_MS);
    return { store, status };
  }

  it('failMode closed (default): isRevoked rejects with AUTH_UNAVAILABLE, revoke rejects too', async () => {
    const { store, status } = await openOn(own);
    await store.revokeSubject('kate');
    const down = status.reach('down');
    await own.stop();
    await down;
    const error = await store.isRevoked(token('leo')).catch((e: unknown) => e);
    expect(isAuthError(error)).toBe(true);
    expect(error).toBeInstanceOf(AuthUnavailableError);
    expect((error as AuthUnavailableError).action).toBe('retry');
    await expect(store.isRevoked(token('kate'))).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
    await expect(store.revokeSubject('leo')).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE', action: 'retry' });
    await expect(store.revokeToken('j', Date.now() + 1_000)).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
    await expect(store.revokeSession('s')).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
  });

  it('failMode open: answers from the mirror (what it saw before Redis went away)', async () => {
    const { store, status } = await openOn(own, { failMode: 'open' });
    await store.revokeSubject('mia');
    const down = status.reach('down');
    await own.stop();
    await down;
    expect(await store.isRevoked(token('mia'))).toBe(true);
    expect(await store.isRevoked(token('ned'))).toBe(false);
    // Writes never pretend to succeed, whatever the fail mode.
    await expect(store.revokeSubject('ned')).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
  });

  it('ready() rejects with AUTH_UNAVAILABLE when Redis cannot be reached, and the store keeps trying', async () => {
    const url = own.url;
    await own.stop();
    const store = new RedisRevocationStore({ url, healthCheckIntervalMs: 0, connectTimeoutMs: 300 });
    opened.push(store);
    await expect(store.ready(500)).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
    await expect(store.isRevoked(token('x'))).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
    await own.start();
    await store.ready(WAIT_MS);
    expect(await store.isRevoked(token('x'))).toBe(false);
  });

  it('after Redis restarts (data lost), it resubscribes and propagation works again', async () => {
    const keyPrefix = uniquePrefix();
    const a = await openOn(own, { keyPrefix });
    const b = await openOn(own, { keyPrefix });
    const bDown = b.status.reach('down');
    const bSynced = b.status.reach('synced');
    await own.restart();
    await bDown;
    await bSynced;
    await a.store.ready(WAIT_MS);
    const arrived = nextRecord(b.store, (record) => record.id === 'olga');
    await a.store.revokeSubject('olga');
    expect(await arrived).toMatchObject({ kind: 'subject', id: 'olga' });
    expect(await b.store.isRevoked(token('olga'))).toBe(true);
  });

  it('a node cut off while Redis restarted empty notices the lost data, even once the counter caught up again', async () => {
    const keyPrefix = uniquePrefix();
    const proxy = await startTcpProxy(own.port);
    proxies.push(proxy);
    const a = await openOn(own, { keyPrefix });
    const c = await openOn(proxy, { keyPrefix });
    const seenByC = nextRecord(c.store, (record) => record.id === 'before');
    await a.store.revokeSubject('before'); // seq 1 in the first epoch
    await seenByC;
    const cDown = c.status.reach('down');
    proxy.cut();
    await cDown;
    const aBack = a.status.reach('synced');
    await own.restart(); // empty: the counter starts again
    await aBack;
    await a.store.revokeSubject('after'); // seq 1 again, in a new epoch
    const delivered = nextRecord(c.store, (record) => record.id === 'after');
    proxy.restore();
    expect(await delivered).toMatchObject({ kind: 'subject', id: 'after' });
    await c.store.ready(WAIT_MS);
    expect(await c.store.isRevoked(token('after'))).toBe(true);
  });

  it('a node cut off from Redis catches up when it comes back: the missed revocation reaches its listeners', async () => {
    const keyPrefix = uniquePrefix();
    const proxy = await startTcpProxy(own.port);
    proxies.push(proxy);
    const probe = await rawClient(own.url);
    try {
      const a = await openOn(own, { keyPrefix });
      const c = await openOn(proxy, { keyPrefix });
      const cDown = c.status.reach('down');
      proxy.cut();
      await cDown;
      // Cut off: it does not pretend to know (fail closed)...
      await expect(c.store.isRevoked(token('pete'))).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
      // ...while A records a revocation.
      await a.store.revokeSubject('pete');
      const delivered = nextRecord(c.store, (record) => record.id === 'pete');
      proxy.restore();
      expect(await delivered).toMatchObject({ kind: 'subject', id: 'pete' });
      await c.store.ready(WAIT_MS);
      const before = await commandCallsOf(probe);
      expect(await c.store.isRevoked(token('pete'))).toBe(true);
      expect(delta(before, await commandCallsOf(probe))).toEqual({ info: 1 });
    } finally {
      await probe.close();
    }
  });

  it('asks Redis directly while its subscription is down but commands still work, then resyncs', async () => {
    const keyPrefix = uniquePrefix();
    const proxy = await startTcpProxy(own.port);
    proxies.push(proxy);
    const probe = await rawClient(own.url);
    try {
      const a = await openOn(own, { keyPrefix });
      const c = await openOn(proxy, { keyPrefix });
      const cDown = c.status.reach('down');
      proxy.blockSubscriptions();
      await cDown;
      await a.store.revokeSubject('quinn');
      const before = await commandCallsOf(probe);
      expect(await c.store.isRevoked(token('quinn'))).toBe(true);
      expect(await c.store.isRevoked(token('rita'))).toBe(false);
      expect(delta(before, await commandCallsOf(probe))).toMatchObject({ mget: 2 });
      const delivered = nextRecord(c.store, (record) => record.id === 'quinn');
      proxy.allowSubscriptions();
      expect(await delivered).toMatchObject({ id: 'quinn' });
      await c.store.ready(WAIT_MS);
    } finally {
      await probe.close();
    }
  });

  it('notices a subscription that hangs without closing (health check) and stops answering from memory', async () => {
    const keyPrefix = uniquePrefix();
    const probe = await rawClient(own.url);
    try {
      const { store, status } = await openOn(own, { keyPrefix, healthCheckIntervalMs: 100, commandTimeoutMs: 300 });
      const down = status.reach('down');
      const back = status.reach('synced');
      // Every client stops being served for a moment: the PING times out.
      await probe.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL']);
      await down;
      await back;
      expect(status.seen).toContain('syncing');
    } finally {
      await probe.close();
    }
  });
});
