/**
 * A benchmark client process: opens Socket.IO connections on request and reports timings over IPC.
 * - `{ type: 'handshakes', url, tokens, concurrency, bearer }`: connects once per token, `concurrency` in flight,
 *   closing each socket as soon as it is connected; reports `{ type: 'handshakes', count, errors, elapsedMs }`.
 * - `{ type: 'open', url, tokens, concurrency, namespaces }`: connects and keeps the sockets open; reports `opened`.
 * - `{ type: 'echo', count, concurrency }`: sends acked `echo` events over the open sockets; reports `echoed`.
 * - `{ type: 'reauth', tokens, concurrency }`: one in-band `auth:refresh` per token over open socket i % n;
 *   reports `reauthed` with per-request latencies.
 * - `{ type: 'cuts' }`: reports `cuts`: when (wall clock, ms) and with which code each open socket was cut.
 * - `{ type: 'close' }`: closes every open socket; reports `closed`.
 */
import { Manager, io, type Socket } from 'socket.io-client';
import { report } from '../lib/fork.js';
import { pool } from '../lib/pool.js';

const open: Socket[] = [];
/** Per open socket: wall-clock time of its disconnect and the `auth:error` code before it. */
const cuts = new Map<Socket, { at: number; code?: string; label: string }>();
const wallClock = (): number => performance.timeOrigin + performance.now();

/** Connects once; with `keepAt` the socket stays open as `open[keepAt]` (so socket i is token i's). */
function connectOnce(url: string, token: string | undefined, bearer: boolean, keepAt?: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(token !== undefined && { auth: { token: bearer ? `Bearer ${token}` : token } }),
    });
    socket.once('connect', () => {
      if (keepAt !== undefined) {
        open[keepAt] = socket;
        let code: string | undefined;
        socket.on('auth:error', (error: { code: string }) => (code = error.code));
        socket.once('disconnect', () => cuts.set(socket, { at: wallClock(), code, label: url }));
      } else socket.close();
      resolve(true);
    });
    socket.once('connect_error', () => {
      socket.close();
      resolve(false);
    });
  });
}

/** Connects a socket made elsewhere (e.g. on a shared Manager) and keeps it as `open[at]`. */
function keepSocket(socket: Socket, label: string, at: number): Promise<boolean> {
  return new Promise((resolve) => {
    socket.once('connect', () => {
      open[at] = socket;
      let code: string | undefined;
      socket.on('auth:error', (error: { code: string }) => (code = error.code));
      socket.once('disconnect', () => cuts.set(socket, { at: wallClock(), code, label }));
      resolve(true);
    });
    socket.once('connect_error', () => {
      socket.close();
      resolve(false);
    });
    socket.connect();
  });
}

process.on('message', async (message: Record<string, any>) => {
  switch (message['type']) {
    case 'handshakes': {
      const { url, tokens, concurrency, bearer, count } = message;
      const total: number = tokens?.length ?? count;
      const started = performance.now();
      const errors = await pool(total, concurrency, (i) => connectOnce(url, tokens?.[i], bearer === true));
      report({ type: 'handshakes', count: total, errors, elapsedMs: performance.now() - started });
      break;
    }
    case 'open': {
      const { url, tokens, concurrency, namespaces = [''] } = message;
      const started = performance.now();
      const base = open.length;
      // Several namespaces per token share one connection (one Manager), as Socket.IO multiplexes them: this is how
      // 20,000 sockets fit under the machine's file-descriptor limit.
      const errors =
        namespaces.length === 1
          ? await pool(tokens.length, concurrency, (i) => connectOnce(`${url}${namespaces[0]}`, tokens[i], false, base + i))
          : await pool(tokens.length, Math.max(1, Math.floor(concurrency / namespaces.length)), async (i) => {
              const manager = new Manager(url, { transports: ['websocket'], reconnection: false, autoConnect: false });
              const results = await Promise.all(
                namespaces.map((nsp: string, k: number) => keepSocket(manager.socket(nsp, { auth: { token: tokens[i] } }), url, base + i * namespaces.length + k)),
              );
              return results.every(Boolean);
            });
      report({ type: 'opened', count: open.length, errors, elapsedMs: performance.now() - started });
      break;
    }
    case 'echo': {
      const { count, concurrency } = message;
      let sent = 0;
      const started = performance.now();
      const errors = await pool(count, concurrency, async () => {
        const socket = open[sent++ % open.length]!;
        const reply = await socket.emitWithAck('echo', 1);
        return reply === 1;
      });
      report({ type: 'echoed', count, errors, elapsedMs: performance.now() - started });
      break;
    }
    case 'reauth': {
      const { tokens, concurrency } = message;
      const latencies: number[] = [];
      const started = performance.now();
      const errors = await pool(tokens.length, concurrency, async (i) => {
        const socket = open[i % open.length]!;
        const t0 = performance.now();
        const ack = await socket.emitWithAck('auth:refresh', { token: tokens[i] });
        latencies.push(performance.now() - t0);
        return ack?.ok === true;
      });
      report({ type: 'reauthed', count: tokens.length, errors, elapsedMs: performance.now() - started, latencies });
      break;
    }
    case 'latency-handshakes': {
      const { url, tokens, concurrency } = message;
      const latencies: number[] = [];
      const started = performance.now();
      const errors = await pool(tokens.length, concurrency, async (i) => {
        const t0 = performance.now();
        const ok = await connectOnce(url, tokens[i], false);
        latencies.push(performance.now() - t0);
        return ok;
      });
      report({ type: 'latency-handshakes', count: tokens.length, errors, elapsedMs: performance.now() - started, latencies });
      break;
    }
    case 'cuts': {
      report({ type: 'cuts', cuts: [...cuts.values()], open: open.length });
      break;
    }
    case 'close': {
      for (const socket of open.splice(0)) socket.close();
      cuts.clear();
      report({ type: 'closed' });
      break;
    }
  }
});
process.on('SIGTERM', () => process.exit(0));
report({ type: 'ready' });
