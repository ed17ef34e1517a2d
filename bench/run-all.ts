/**
 * Runs every benchmark in turn (`npm run bench`), each in its own process so one's heap and sockets do not
 * disturb the next. `BENCH_SMOKE=1` runs them at smoke size (what CI does).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ROOT } from './lib/fork.js';

export const BENCHMARKS = ['handshake', 'events', 'memory', 'expiry-storm', 'reauth-storm', 'revocation-scale', 'revocation-redis', 'room-policy', 'room-broadcast', 'room-reevaluation', 'room-left-writes', 'room-evictions-redis', 'client-bundle', 'ws-handshake', 'ws-messages', 'ws-memory'] as const;

const only = process.argv.slice(2);
let failed = 0;
for (const name of BENCHMARKS.filter((b) => only.length === 0 || only.includes(b))) {
  console.log(`\n# bench/${name}.ts`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@sockauth/source', resolve(ROOT, 'bench', `${name}.ts`)], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  if (result.status !== 0) {
    failed++;
    console.log(`bench/${name}.ts failed (exit ${result.status ?? result.signal})`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
