/**
 * The client process of bench/revocation-redis.ts: holds one socket per session, on the node given for it, and
 * reports each disconnect the moment it happens (not on request), so the parent can time revocations one by one.
 * - `{ type: 'open', sockets: [{ url, session, token? }], concurrency }`: connects each with
 *   `auth: { token, session }` and keeps it open; reports `{ type: 'opened', count, errors }`.
 * - then, per socket the server cuts: `{ type: 'cut', session, at, code, reason }` where `at` is the wall-clock ms
 *   (`performance.timeOrigin + performance.now()`) of the `disconnect` event and `code` the `auth:error` code
 *   received before it, if any.
 */
import { io } from 'socket.io-client';
import { report } from '../lib/fork.js';
import { pool } from '../lib/pool.js';

interface Target {
  readonly url: string;
  readonly session: string;
  readonly token?: string;
}

const wallClock = (): number => performance.timeOrigin + performance.now();

function connect({ url, session, token }: Target): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: token === undefined ? { session } : { token, session },
    });
    socket.once('connect', () => {
      let code: string | undefined;
      socket.on('auth:error', (error: { code?: string }) => (code = error?.code));
      socket.once('disconnect', (reason: string) => {
        const at = wallClock();
        report({ type: 'cut', session, at, code, reason });
      });
      resolve(true);
    });
    socket.once('connect_error', () => {
      socket.close();
      resolve(false);
    });
  });
}

process.on('message', async (message: Record<string, any>) => {
  if (message['type'] !== 'open') return;
  const targets: Target[] = message['sockets'];
  const errors = await pool(targets.length, message['concurrency'] ?? 32, (i) => connect(targets[i]!));
  report({ type: 'opened', count: targets.length - errors, errors });
});
process.on('SIGTERM', () => process.exit(0));
// The parent died without stopping this worker: do not outlive it.
process.on('disconnect', () => process.exit(0));
report({ type: 'ready' });
