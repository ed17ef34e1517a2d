import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { freePort, redisServerBinary } from '../../../../test/support/redis.js';

/** The whole start (three processes, slots assigned, cluster_state:ok) must take less than this. */
const START_TIMEOUT_MS = 10_000;
const SLOTS = 16_384;

/** A tiny Redis Cluster on loopback: three masters, no replicas, no persistence. */
export interface RedisCluster {
  readonly nodes: readonly { readonly port: number; readonly url: string; readonly slots: readonly [number, number] }[];
  /** The URL of the node that serves `slot`. */
  urlOf(slot: number): string;
  /** Kills the three processes and removes their directory. Idempotent. */
  stop(): Promise<void>;
}

function newClient(url: string) {
  return createClient({ url, RESP: 2, socket: { reconnectStrategy: false, connectTimeout: 500 } });
}
type Client = ReturnType<typeof newClient>;

const running = new Set<ChildProcess>();
// A crashed test must not leave cluster nodes behind.
process.once('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

async function connected(url: string, deadline: number): Promise<Client> {
  for (;;) {
    const client = newClient(url);
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Starts three cluster-enabled redis-server processes on free loopback ports, splits the 16 384 slots between
 * them (CLUSTER ADDSLOTSRANGE), joins them (CLUSTER MEET) and resolves once every node reports `cluster_state:ok`.
 * Bounded by {@link START_TIMEOUT_MS}; on failure everything started is stopped.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster();
 * afterAll(() => cluster.stop());
 * ```
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const binary = redisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'sockauth-redis-cluster-'));
  const processes: ChildProcess[] = [];
  const clients: Client[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
    await Promise.all(
      processes.splice(0).map(
        (proc) =>
          new Promise<void>((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            proc.once('exit', () => resolve());
            proc.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const port of ports) {
      const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
      args.push('--dir', dir, '--loglevel', 'warning', '--cluster-enabled', 'yes', '--cluster-node-timeout', '2000');
      args.push('--cluster-config-file', `nodes-${port}.conf`);
      const proc = spawn(binary, args, { stdio: 'ignore' });
      processes.push(proc);
      running.add(proc);
      proc.once('exit', () => running.delete(proc));
    }
    const nodes = ports.map((port, i) => {
      const first = Math.floor((SLOTS * i) / ports.length);
      const last = Math.floor((SLOTS * (i + 1)) / ports.length) - 1;
      return { port, url: `redis://127.0.0.1:${port}`, slots: [first, last] as const };
    });
    for (const node of nodes) clients.push(await connected(node.url, deadline));
    await Promise.all(
      clients.map(async (client, i) => {
        await client.sendCommand(['CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)]);
        await client.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', String(nodes[i]!.slots[0]), String(nodes[i]!.slots[1])]);
      }),
    );
    for (const node of nodes.slice(1)) await clients[0]!.sendCommand(['CLUSTER', 'MEET', '127.0.0.1', String(node.port)]);
    for (const client of clients) {
      while (!String(await client.sendCommand(['CLUSTER', 'INFO'])).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error(`the Redis Cluster did not reach cluster_state:ok within ${START_TIMEOUT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await Promise.all(clients.splice(0).map((client) => client.close()));
    return {
      nodes,
      urlOf(slot) {
        return nodes.find((node) => slot >= node.slots[0] && slot <= node.slots[1])!.url;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
