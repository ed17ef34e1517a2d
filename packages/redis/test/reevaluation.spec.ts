import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { isAuthError, type ReevaluationTargets, type RevocationTarget } from '@sockauth/core';
import { RedisRevocationStore, type RedisRevocationStoreOptions } from '@sockauth/redis';
import { deferred } from '../../../test/support/async.js';
import { startRedis, startTcpProxy, type RedisServer, type TcpProxy } from '../../../test/support/redis.js';

/**
 * Cross-node re-evaluation through a real redis-server: several store instances on one prefix are the nodes.
 * Each test uses its own hash-tagged prefix, so nodes of different tests never answer each other.
 */

const WAIT_MS = 10_000;

let redis: RedisServer;
const opened: RedisRevocationStore[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

function uniquePrefix(): string {
  return `{t-${randomUUID().slice(0, 8)}}:`;
}

async function open(options: Partial<RedisRevocationStoreOptions>): Promise<RedisRevocationStore> {
  const store = new RedisRevocationStore({ url: redis.url, healthCheckIntervalMs: 0, ...options } as RedisRevocationStoreOptions);
  opened.push(store);
  await store.ready(WAIT_MS);
  return store;
}

/** `count` nodes on one prefix. */
async function nodes(count: number, options: Partial<RedisRevocationStoreOptions> = {}): Promise<RedisRevocationStore[]> {
  const keyPrefix = uniquePrefix();
  return Promise.all(Array.from({ length: count }, () => open({ keyPrefix, ...options })));
}

describe('RedisRevocationStore re-evaluation across nodes', () => {
  it('runs every node’s handler (the requester’s included) with the target and sums their counts', async () => {
    const [a, b, c] = await nodes(3);
    const seen: [string, ReevaluationTargets][] = [];
    a!.onReevaluation(async (target) => (seen.push(['a', target]), 2));
    b!.onReevaluation(async (target) => (seen.push(['b', target]), 3));
    c!.onReevaluation(async (target) => (seen.push(['c', target]), 0));

    await expect(b!.requestReevaluation({ subject: 'alice' })).resolves.toEqual({ affected: 5, nodes: 3 });
    expect(seen.map(([node]) => node).sort()).toEqual(['a', 'b', 'c']);
    for (const [, target] of seen) expect(target).toEqual({ subject: 'alice' });

    await expect(a!.requestReevaluation({ sessionId: 's-1' })).resolves.toEqual({ affected: 5, nodes: 3 });
    expect(seen.slice(3).map(([, target]) => target)).toEqual([{ sessionId: 's-1' }, { sessionId: 's-1' }, { sessionId: 's-1' }]);
  });

  it('carries a list of targets in one request: each node’s handler runs once with the whole list', async () => {
    const [a, b] = await nodes(2);
    const seen: ReevaluationTargets[] = [];
    a!.onReevaluation(async (targets) => (seen.push(targets), 2));
    b!.onReevaluation(async (targets) => (seen.push(targets), 3));
    const targets = [{ subject: 'alice' }, { sessionId: 's-1' }, { tokenId: 'j-1' }, ...Array.from({ length: 997 }, (_, i) => ({ subject: `user-${i}` }))];

    await expect(a!.requestReevaluation(targets)).resolves.toEqual({ affected: 5, nodes: 2 });
    expect(seen).toHaveLength(2);
    for (const list of seen) expect(list).toEqual(targets);
    // An empty list asks nothing and re-evaluates nothing.
    await expect(a!.requestReevaluation([])).resolves.toEqual({ affected: 0, nodes: 0 });
    expect(seen).toHaveLength(2);
  });

  it('packs a list too large for one message into several requests, the counts summed', async () => {
    const [a, b] = await nodes(2);
    const received: number[] = [];
    a!.onReevaluation(async (targets) => (received.push((targets as RevocationTarget[]).length), (targets as RevocationTarget[]).length));
    b!.onReevaluation(async () => 0);
    // 1,500 ids of 1,000 characters: about 1.5 MB, over the 1 MiB a node reads in one message.
    const targets = Array.from({ length: 1_500 }, (_, i) => ({ subject: `${i}-`.padEnd(1_000, 'x') }));
    await expect(a!.requestReevaluation(targets, { timeoutMs: 5_000 })).resolves.toEqual({ affected: 1_500, nodes: 2 });
    expect(received.length).toBe(2);
    expect(received.reduce((sum, n) => sum + n, 0)).toBe(1_500);
  });

  it('sums several handlers of one node, and a node without a handler answers 0 at once', async () => {
    const [a, b] = await nodes(2);
    a!.onReevaluation(async () => 1);
    const off = a!.onReevaluation(async () => 4);
    const started = Date.now();
    await expect(b!.requestReevaluation({ tokenId: 'j-1' }, { timeoutMs: 5_000 })).resolves.toEqual({ affected: 5, nodes: 2 });
    // Answered by both nodes, not by the timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
    off();
    await expect(b!.requestReevaluation({ tokenId: 'j-1' })).resolves.toEqual({ affected: 1, nodes: 2 });
  });

  it('waits for a slow node, and stops at the timeout with the answers in when a node never answers', async () => {
    const [a, b, c] = await nodes(3);
    const slow = deferred<number>();
    a!.onReevaluation(async () => 1);
    b!.onReevaluation(() => slow.promise);
    const hung = new Promise<number>(() => undefined);
    c!.onReevaluation(() => hung);

    const result = a!.requestReevaluation({ subject: 'alice' }, { timeoutMs: 300 });
    slow.resolve(2);
    await expect(result).resolves.toEqual({ affected: 3, nodes: 2 });
  });

  it('a handler that throws counts 0 and does not stop the others', async () => {
    const [a, b] = await nodes(2);
    a!.onReevaluation(async () => {
      throw new Error('boom');
    });
    a!.onReevaluation(async () => 2);
    b!.onReevaluation(async () => 1);
    await expect(b!.requestReevaluation({ subject: 'alice' })).resolves.toEqual({ affected: 3, nodes: 2 });
  });

  it('does not reach nodes of another prefix', async () => {
    const [a] = await nodes(1);
    const [other] = await nodes(1);
    const otherHandler = jest.fn(async () => 7);
    other!.onReevaluation(otherHandler);
    a!.onReevaluation(async () => 1);
    await expect(a!.requestReevaluation({ subject: 'alice' })).resolves.toEqual({ affected: 1, nodes: 1 });
    expect(otherHandler).not.toHaveBeenCalled();
  });

  it('ignores malformed requests and forged answers on its channels', async () => {
    const keyPrefix = uniquePrefix();
    const [a, b] = await Promise.all([open({ keyPrefix }), open({ keyPrefix })]);
    const handler = jest.fn(async () => 1);
    a!.onReevaluation(handler);
    b!.onReevaluation(async () => 1);
    const raw = createClient({ url: redis.url });
    raw.on('error', () => undefined);
    await raw.connect();
    try {
      for (const message of ['not json', '{"id":1}', JSON.stringify({ id: 'x', replyTo: `${keyPrefix}reevaluated:n`, target: { subject: '' } }),
        JSON.stringify({ id: 'x', replyTo: 'elsewhere', target: { subject: 'alice' } })]) {
        await raw.publish(`${keyPrefix}reevaluate`, message);
      }
      // A request after the garbage is answered normally: the malformed ones reached no handler.
      await expect(b.requestReevaluation({ subject: 'alice' })).resolves.toEqual({ affected: 2, nodes: 2 });
      expect(handler).toHaveBeenCalledTimes(1);
    } finally {
      await raw.close();
    }
  });

  it('rejects a malformed target with a TypeError and a bad timeout naming timeoutMs', async () => {
    const [a] = await nodes(1);
    await expect(a!.requestReevaluation({} as RevocationTarget)).rejects.toThrow(TypeError);
    await expect(a!.requestReevaluation({ subject: 'alice', tokenId: 'j' } as unknown as RevocationTarget)).rejects.toThrow(TypeError);
    await expect(a!.requestReevaluation({ subject: 'alice' }, { timeoutMs: -1 })).rejects.toThrow(/timeoutMs/);
    await expect(a!.requestReevaluation([{ subject: 'alice' }, {} as RevocationTarget])).rejects.toThrow(TypeError);
    expect(() => a!.onReevaluation('x' as never)).toThrow(TypeError);
  });

  it('fails closed with AUTH_UNAVAILABLE when Redis is unreachable, and after close', async () => {
    const proxy = await startTcpProxy(redis.port);
    proxies.push(proxy);
    const store = await open({ url: proxy.url, keyPrefix: uniquePrefix(), commandTimeoutMs: 300 });
    store.onReevaluation(async () => 1);
    proxy.cut();
    const error = await store.requestReevaluation({ subject: 'alice' }).catch((e: unknown) => e);
    expect(isAuthError(error) && error.code).toBe('AUTH_UNAVAILABLE');

    const closed = await open({ keyPrefix: uniquePrefix() });
    await closed.close();
    const afterClose = await closed.requestReevaluation({ subject: 'alice' }).catch((e: unknown) => e);
    expect(isAuthError(afterClose) && afterClose.code).toBe('AUTH_UNAVAILABLE');
  });

  it('keeps its channels under the hash-tagged prefix (one slot on Redis Cluster)', async () => {
    const keyPrefix = '{cluster-tag}:auth:';
    const store = await open({ keyPrefix });
    const raw = createClient({ url: redis.url });
    raw.on('error', () => undefined);
    await raw.connect();
    try {
      const channels = (await raw.sendCommand(['PUBSUB', 'CHANNELS', '{cluster-tag}*'])) as string[];
      expect(channels.filter((c) => c.includes('reevaluat')).every((c) => c.startsWith(keyPrefix))).toBe(true);
      expect(channels).toEqual(expect.arrayContaining([`${keyPrefix}reevaluate`]));
    } finally {
      await raw.close();
      await store.close();
    }
  });
});
