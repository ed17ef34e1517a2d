import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './binaries.js';

/**
 * Real `redis-server` processes for tests: each on its own ephemeral loopback port, started and stopped by the
 * test itself (so a test can restart Redis mid-way), plus a TCP proxy that can cut one node off from Redis.
 * Tests never skip when the binary is missing: they fail with the message below.
 */

export const REDIS_MISSING_MESSAGE =
  'redis-server not found: install the Debian package redis-server (`npm test` installs it when it can: scripts/ensure-system-deps.mjs)';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** The `redis-server` binary: `REDIS_SERVER_BIN`, else the first one on `PATH` (or in /usr/bin, /usr/sbin). */
export function redisServerBinary(): string {
  return findBinary('redis-server', 'REDIS_SERVER_BIN', REDIS_MISSING_MESSAGE);
}

/** A free loopback port (the OS picks it; a tiny race with other processes is handled by retrying). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Sends `PING` over a raw connection; resolves true on `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

const running = new Set<ChildProcess>();
const directories = new Set<string>();
// A crashed test must not leave redis-server processes (or their empty working directories) behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

/** One redis-server process, on a fixed port across restarts. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** True while the process runs. */
  readonly running: boolean;
  /** Stops the process (SIGTERM, then SIGKILL). Data is lost: there is no persistence. Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after {@link stop}). */
  start(): Promise<void>;
  /** Stops, then starts. */
  restart(): Promise<void>;
}

/**
 * Starts a throwaway redis-server on a free loopback port (no persistence, protected mode) and resolves once it
 * answers PING. Throws {@link REDIS_MISSING_MESSAGE} when the binary is not installed.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * afterAll(() => redis.stop());
 * ```
 */
export async function startRedis(): Promise<RedisServer> {
  const binary = redisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'sockauth-redis-'));
  directories.add(dir);
  let child: ChildProcess | undefined;
  let port = 0;

  const launch = async (): Promise<void> => {
    const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
    args.push('--dir', dir, '--loglevel', 'warning', '--protected-mode', 'yes');
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`redis-server exited at start (port ${port}):\n${output}`);
      }
      if (await ping(port)) break;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`redis-server did not answer PING on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    child = proc;
  };

  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  const start = async (): Promise<void> => {
    if (child !== undefined) return;
    await launch();
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined;
    },
    stop: async () => {
      await stop();
    },
    start,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

/**
 * A TCP proxy on a loopback port in front of Redis, to cut one client (one node) off from Redis while others
 * still reach it: {@link TcpProxy.cut} destroys every open connection and refuses new ones until
 * {@link TcpProxy.restore}.
 */
export interface TcpProxy {
  readonly port: number;
  /** `redis://127.0.0.1:<proxy port>` */
  readonly url: string;
  /** Open client connections through the proxy. */
  readonly connections: number;
  cut(): void;
  restore(): void;
  /**
   * Cuts only the connections that subscribed (sent `SUBSCRIBE`), and keeps cutting them each time they
   * resubscribe, until {@link allowSubscriptions}: the client's command connection keeps working.
   */
  blockSubscriptions(): void;
  allowSubscriptions(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let blocked = false;
  let subscriptionsBlocked = false;
  const pairs = new Set<Socket>();
  /** Client sockets that sent SUBSCRIBE. */
  const subscribers = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    pairs.add(client);
    pairs.add(upstream);
    const drop = (): void => {
      pairs.delete(client);
      pairs.delete(upstream);
      subscribers.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      if (/SUBSCRIBE/i.test(chunk.toString('latin1'))) {
        subscribers.add(client);
        if (subscriptionsBlocked) return drop();
      }
      if (upstream.write(chunk) === false) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get connections() {
      return [...pairs].length / 2;
    },
    cut() {
      blocked = true;
      for (const socket of [...pairs]) socket.destroy();
      pairs.clear();
    },
    restore() {
      blocked = false;
    },
    blockSubscriptions() {
      subscriptionsBlocked = true;
      for (const client of [...subscribers]) client.destroy();
    },
    allowSubscriptions() {
      subscriptionsBlocked = false;
    },
    close() {
      blocked = true;
      for (const socket of [...pairs]) socket.destroy();
      pairs.clear();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
