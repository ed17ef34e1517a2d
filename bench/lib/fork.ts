import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** Repository root (bench/lib → ../..). */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** A worker process running a TypeScript file through tsx, talking over Node's IPC channel. */
export interface Worker {
  readonly child: ChildProcess;
  /** Resolves with the next IPC message whose `type` is `type`; rejects if the worker exits first. */
  next<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  send(message: Record<string, unknown>): void;
  /** Stops the worker (SIGTERM, then SIGKILL after 3 s) and waits for it. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Forks `bench/workers/<name>.ts` with tsx and the sources of the workspace packages (the `@sockauth/source`
 * export condition), so benchmarks measure the code in the tree without a build.
 */
export function startWorker(name: string, args: readonly string[] = [], env: Record<string, string> = {}): Worker {
  const child = fork(resolve(ROOT, 'bench/workers', `${name}.ts`), [...args], {
    execArgv: [
      '--import',
      'tsx',
      '--conditions=@sockauth/source',
      '--expose-gc',
      '--max-old-space-size=4096',
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of every worker, for `bench/README.md`'s "what costs what".
      ...(process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF']}`] : []),
    ],
    // bench/tsconfig.json enables legacy decorators for the Nest worker (tsx reads it through this variable).
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve(ROOT, 'bench/tsconfig.json'), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: Record<string, unknown>[] = [];
  const waiters: { type: string; resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  let exited = false;
  child.on('message', (message: Record<string, unknown>) => {
    const index = waiters.findIndex((w) => w.type === message['type']);
    if (index === -1) inbox.push(message);
    else waiters.splice(index, 1)[0]!.resolve(message);
  });
  const exit = new Promise<void>((resolveExit) =>
    child.once('exit', (code) => {
      exited = true;
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`worker ${name} exited (${code}) before "${waiter.type}"`));
      resolveExit();
    }),
  );
  let stopping: Promise<void> | undefined;
  return {
    child,
    next<T>(type: string, timeoutMs = 120_000): Promise<T> {
      const queued = inbox.findIndex((m) => m['type'] === type);
      if (queued !== -1) return Promise.resolve(inbox.splice(queued, 1)[0] as T);
      if (exited) return Promise.reject(new Error(`worker ${name} has exited`));
      return new Promise<T>((resolveNext, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker ${name}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          type,
          resolve: (m) => {
            clearTimeout(timer);
            resolveNext(m as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    },
    send(message) {
      if (!exited) child.send(message);
    },
    stop() {
      stopping ??= (async () => {
        if (exited) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exit;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** In a worker: sends a message to the parent. */
export function report(message: Record<string, unknown>): void {
  process.send?.(message);
}

/** In a worker: resolves with the next message of `type` from the parent. */
export function fromParent<T = Record<string, unknown>>(type: string): Promise<T> {
  return new Promise((resolveMessage) => {
    const onMessage = (message: Record<string, unknown>): void => {
      if (message['type'] !== type) return;
      process.off('message', onMessage);
      resolveMessage(message as T);
    };
    process.on('message', onMessage);
  });
}
