/**
 * Profiling aid for bench/README.md: runs handshakes against one server mode, several rounds, printing the rate of
 * each round (warm-up visible). With BENCH_CPU_PROF=<dir> every process writes a V8 CPU profile there.
 *
 *   BENCH_CPU_PROF=/tmp/prof npx tsx --conditions=@sockauth/source bench/profiles/handshake-profile.ts sockauth-hs256
 */
import { startWorker } from '../lib/fork.js';
import { hs256Tokens } from '../lib/tokens.js';

const mode = process.argv[2] ?? 'sockauth-hs256';
const rounds = Number(process.argv[3] ?? 6);
const server = startWorker('socketio-server', [mode]);
const client = startWorker('socketio-client');
const [{ port }] = await Promise.all([server.next<{ port: number }>('ready'), client.next('ready')]);
for (let round = 0; round < rounds; round++) {
  client.send({ type: 'handshakes', url: `http://127.0.0.1:${port}`, tokens: await hs256Tokens(1500), concurrency: 32 });
  const result = await client.next<{ count: number; elapsedMs: number }>('handshakes');
  console.log(`${mode} round ${round + 1}: ${((result.count / result.elapsedMs) * 1000).toFixed(0)} handshakes/s`);
}
await client.stop();
await server.stop();
