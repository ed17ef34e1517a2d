import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

/** How a child process ended, and everything it printed. */
export interface ProcessOutcome {
  /** Exit code; `null` when a signal ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Collects what `child` writes to stdout and stderr from now on (UTF-8): the fields grow as it writes. */
export function captureOutput(child: ChildProcessByStdio<null, Readable, Readable>): { readonly stdout: string; readonly stderr: string } {
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  return output;
}

/**
 * Runs `command args` to its end (for a script or a CLI, not a server: see test/contract/servers.ts) and resolves
 * once its output streams are closed; rejects when it cannot be spawned at all.
 */
export function runToEnd(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = captureOutput(child);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, ...output }));
  });
}
