/**
 * Every benchmark runs at smoke size (BENCH_SMOKE=1: tiny counts, one round) and prints its result table.
 * This proves the benchmarks work; the numbers are meaningless at this size and are not asserted.
 */
import { join } from 'node:path';
import { runToEnd, type ProcessOutcome } from '../support/child-processes';

const ROOT = join(__dirname, '..', '..');
const BENCHMARKS = ['handshake', 'events', 'memory', 'expiry-storm', 'reauth-storm', 'revocation-scale', 'revocation-redis', 'room-policy', 'room-broadcast', 'room-reevaluation', 'room-left-writes', 'room-evictions-redis', 'ws-handshake', 'ws-messages', 'ws-memory'];

function runBench(name: string): Promise<ProcessOutcome> {
  return runToEnd(process.execPath, ['--import', 'tsx', '--conditions=@sockauth/source', join(ROOT, 'bench', `${name}.ts`)], {
    cwd: ROOT,
    env: { ...process.env, BENCH_SMOKE: '1' },
  });
}

test.each(BENCHMARKS)('bench/%s.ts runs at smoke size and prints its result table', async (name) => {
  const { code, stdout, stderr } = await runBench(name);
  if (code !== 0) throw new Error(`bench/${name}.ts exited with ${code}\n${stderr}`);
  expect(stdout).toMatch(/\| metric +\| baseline +\| baseline value +\| sockauth +\| ratio +\| goal +\| result +\|/);
  expect(stdout).toMatch(/\| (met|NOT MET) +\|/);
}, 120_000);
