/**
 * The client process of the room benchmarks: holds sockets and counts what they receive.
 * - `{ type: 'open', sockets: [{ url, token?, room }], concurrency }`: connects each (`auth: { token, room }`) and
 *   keeps it open; reports `{ type: 'opened', count, errors }`.
 * - `{ type: 'wait-messages', total, timeoutMs }`: reports `{ type: 'messages', received }` once the sockets
 *   received `total` `m` events in all since the last `reset` (or at the timeout).
 * - `{ type: 'wait-left', total, timeoutMs }`: reports `{ type: 'left', times }` (wall-clock ms of each
 *   `auth:room-left`, `performance.timeOrigin + performance.now()`) once `total` arrived (or at the timeout).
 * - `{ type: 'reset' }`: zeroes the counters.
 */
import { io, type Socket } from 'socket.io-client';
import { report } from '../lib/fork.js';
import { pool } from '../lib/pool.js';

interface Target {
  readonly url: string;
  readonly token?: string;
  readonly room: string;
}

const wallClock = (): number => performance.timeOrigin + performance.now();
const open: Socket[] = [];
let received = 0;
let leftTimes: number[] = [];
let onChange: (() => void) | undefined;

function connect({ url, token, room }: Target): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: token === undefined ? { room } : { token, room } });
    socket.on('m', () => {
      received++;
      onChange?.();
    });
    socket.on('auth:room-left', () => {
      leftTimes.push(wallClock());
      onChange?.();
    });
    socket.once('connect', () => {
      open.push(socket);
      resolve(true);
    });
    socket.once('connect_error', () => {
      socket.close();
      resolve(false);
    });
  });
}

function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, timeoutMs);
    function finish(): void {
      clearTimeout(timer);
      onChange = undefined;
      resolve();
    }
    onChange = () => {
      if (done()) finish();
    };
    if (done()) finish();
  });
}

process.on('message', async (message: Record<string, any>) => {
  switch (message['type']) {
    case 'open': {
      const targets: Target[] = message['sockets'];
      const errors = await pool(targets.length, message['concurrency'] ?? 64, (i) => connect(targets[i]!));
      report({ type: 'opened', count: targets.length - errors, errors });
      break;
    }
    case 'wait-messages':
      await waitFor(() => received >= message['total'], message['timeoutMs'] ?? 60_000);
      report({ type: 'messages', received });
      break;
    case 'wait-left':
      await waitFor(() => leftTimes.length >= message['total'], message['timeoutMs'] ?? 60_000);
      report({ type: 'left', times: leftTimes });
      break;
    case 'reset':
      received = 0;
      leftTimes = [];
      report({ type: 'reset-done' });
      break;
    case 'close':
      for (const socket of open.splice(0)) socket.close();
      report({ type: 'closed' });
      break;
  }
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
report({ type: 'ready' });
