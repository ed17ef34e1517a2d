import { randomUUID } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import type { RevocationRecord } from '@sockauth/core';
import { RedisRevocationStore } from '@sockauth/redis';
import { keyNames } from '../src/keys.js';
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.js';

/**
 * The store on a real Redis Cluster (three masters on loopback, started by the test): Redis itself refuses a script
 * whose keys are in several slots (CROSSSLOT) or on another node. The store connects to the node that serves its
 * hash tag's slot (it does not follow MOVED redirections itself).
 */

let cluster: RedisCluster;
const opened: RedisRevocationStore[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 30_000);

afterAll(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await cluster?.stop();
});

async function open(keyPrefix: string): Promise<RedisRevocationStore> {
  const url = cluster.urlOf(calculateSlot(keyNames(keyPrefix).log));
  const store = new RedisRevocationStore({ url, keyPrefix, retentionSec: 600, healthCheckIntervalMs: 0 });
  opened.push(store);
  await store.ready(10_000);
  return store;
}

it('revokes, propagates and catches up on a 3-node Redis Cluster, with an untagged prefix', async () => {
  const keyPrefix = `c-${randomUUID().slice(0, 8)}:`;
  const writer = await open(keyPrefix);
  await writer.revokeSubject('alice');
  // A node started afterwards reads the log and the records (the sync script, then MGET).
  const reader = await open(keyPrefix);
  const alice = { subject: 'alice', issuedAt: Date.now() - 60_000, expiresAt: Date.now() + 60_000 };
  expect(await reader.isRevoked(alice)).toBe(true);
  // And receives the next one over pub/sub.
  const received = new Promise<RevocationRecord>((resolve) => {
    const off = reader.subscribe((record) => {
      if (record.id !== 'sid-1') return;
      off();
      resolve(record);
    });
  });
  await writer.revokeSession('sid-1');
  expect(await received).toMatchObject({ kind: 'session', id: 'sid-1' });
});
