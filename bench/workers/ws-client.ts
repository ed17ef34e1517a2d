/**
 * A benchmark `ws` client process (token in the Authorization header). IPC requests:
 * - `{ type: 'handshakes', url, tokens, concurrency }`: one connection per token, `concurrency` in flight, each
 *   closed as soon as its `hello` arrived (a connection closed without one is an error); reports `handshakes`.
 * - `{ type: 'open', url, tokens }`: opens one connection per token and keeps them; reports `opened`.
 * - `{ type: 'echo', count, concurrency }`: acked `echo` envelopes over the open connections; reports `echoed`.
 */
import WebSocket from 'ws';
import { report } from '../lib/fork.js';

function handshake(url: string, token: string, keep: WebSocket[] | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    let greeted = false;
    ws.once('message', () => {
      greeted = true;
      if (keep === undefined) ws.close();
      else keep.push(ws);
      resolve(true);
    });
    ws.once('close', () => {
      if (!greeted) resolve(false);
    });
    ws.once('error', () => resolve(false));
  });
}

async function pool<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<boolean>): Promise<number> {
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) if (!(await run(items[next++]!))) errors++;
    }),
  );
  return errors;
}

const open: WebSocket[] = [];
let nextId = 1;
const pending = new Map<number, (ok: boolean) => void>();

function echo(ws: WebSocket): Promise<boolean> {
  return new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ type: 'echo', id, data: { text: 'hello', n: id } }));
  });
}

process.on('message', async (message: { type: string; url?: string; tokens?: string[]; concurrency?: number; count?: number }) => {
  if (message.type === 'handshakes') {
    const started = performance.now();
    const errors = await pool(message.tokens!, message.concurrency!, (token) => handshake(message.url!, token, undefined));
    report({ type: 'handshakes', count: message.tokens!.length, errors, elapsedMs: performance.now() - started });
  } else if (message.type === 'open') {
    const errors = await pool(message.tokens!, 16, (token) => handshake(message.url!, token, open));
    for (const ws of open) {
      ws.on('message', (raw: Buffer) => {
        const frame = JSON.parse(raw.toString()) as { type: string; id?: number; data?: { error?: unknown } };
        if (frame.type === 'ack' && frame.id !== undefined) {
          pending.get(frame.id)?.(frame.data?.error === undefined);
          pending.delete(frame.id);
        }
      });
    }
    report({ type: 'opened', errors });
  } else if (message.type === 'echo') {
    let i = 0;
    const started = performance.now();
    const jobs = Array.from({ length: message.count! }, () => open[i++ % open.length]!);
    const errors = await pool(jobs, message.concurrency!, echo);
    report({ type: 'echoed', count: message.count!, errors, elapsedMs: performance.now() - started });
  } else if (message.type === 'close') {
    for (const ws of open.splice(0)) ws.terminate();
    report({ type: 'closed' });
  }
});
report({ type: 'ready' });
// A clean exit on the benchmark's stop, so BENCH_CPU_PROF's --cpu-prof writes this worker's profile.
process.on('SIGTERM', () => process.exit(0));
