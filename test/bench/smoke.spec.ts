/**
 * Every benchmark runs at smoke size (BENCH_SMOKE=1: tiny counts, one round) and prints its result table.
 * This proves the benchmarks work; the numbers are meaningless at this size and are not asserted.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BENCHMARKS = ['handshake', 'events', 'memory', 'expiry-storm', 'reauth-storm', 'revocation-scale', 'revocation-redis', 'room-policy'];

function runBench(name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@sockauth/source', join(ROOT, 'bench', `${name}.ts`)], {
      cwd: ROOT,
      env: { ...process.env, BENCH_SMOKE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test.each(BENCHMARKS)('bench/%s.ts runs at smoke size and prints its result table', async (name) => {
  const { code, stdout, stderr } = await runBench(name);
  if (code !== 0) throw new Error(`bench/${name}.ts exited with ${code}\n${stderr}`);
  expect(stdout).toMatch(/\| metric +\| baseline +\| baseline value +\| sockauth +\| ratio +\| goal +\| result +\|/);
  expect(stdout).toMatch(/\| (met|NOT MET) +\|/);
}, 120_000);
