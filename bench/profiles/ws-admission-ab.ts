/**
 * `ws-admission.ts`'s layers for two (or more) source trees of sockauth in ONE process, their rounds interleaved:
 * a before/after comparison of a few µs per upgrade, which separate runs on a loaded machine cannot show (the load
 * moves every layer of a run by tens of µs; here it moves the trees' rounds alike). Each tree is imported from its
 * own `packages/*\/src` (its `@sockauth/core` through its own `node_modules/@sockauth` links); `jose` and `ws` are
 * shared. Medians of CPU µs per upgrade over the rounds, and of the per-round difference from the first tree.
 *
 *   git archive <commit> | tar -x -C /tmp/before   (then link its node_modules: see bench/README.md)
 *   BENCH_TREES=/tmp/before,. npx tsx --conditions=@sockauth/source bench/profiles/ws-admission-ab.ts
 *   (BENCH_ADMISSIONS, BENCH_ROUNDS, BENCH_LAYERS=authenticate,verifyClient,upgrade)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../lib/stats.js';
import { hs256Tokens } from '../lib/tokens.js';
import { admissionLayers, type Layer, type LayerName } from '../lib/ws-admission-layers.js';

const N = Number(process.env['BENCH_ADMISSIONS'] ?? 2000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 15);
const CONCURRENCY = 32;
const TREES = (process.env['BENCH_TREES'] ?? '.').split(',').map((tree) => resolve(tree));
const LAYER_NAMES = (process.env['BENCH_LAYERS']?.split(',') ?? ['authenticate', 'verifyClient', 'upgrade']) as LayerName[];

/** The layers of the sockauth of `tree`, from its own sources. */
async function treeLayers(tree: string) {
  const core = (await import(pathToFileURL(`${tree}/packages/core/src/index.ts`).href)) as typeof import('@sockauth/core');
  const ws = (await import(pathToFileURL(`${tree}/packages/ws/src/index.ts`).href)) as typeof import('@sockauth/ws');
  return admissionLayers(core, ws);
}

async function round(layer: Layer, tokens: readonly string[]): Promise<number> {
  let next = 0;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < tokens.length) await layer(tokens[next++]!);
    }),
  );
  const { user, system } = process.cpuUsage(cpu);
  return (user + system) / tokens.length;
}

const trees = await Promise.all(TREES.map(treeLayers));
// The baseline, once: it runs no sockauth.
const runs: { name: string; layer: Layer }[] = [{ name: 'jose', layer: trees[0]!.layers.jose }];
for (const [t, { layers }] of trees.entries()) {
  for (const name of LAYER_NAMES) runs.push({ name: `${t}:${name}`, layer: layers[name] });
}
const warmup = await Promise.all(runs.map((_, i) => hs256Tokens(N, 3600, {}, `warm-${i}-`)));
for (const [i, run] of runs.entries()) await round(run.layer, warmup[i]!);
const results: Record<string, number[]> = Object.fromEntries(runs.map((run) => [run.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  // Signed before the round's measurements: signing's garbage is collected outside them as far as possible.
  const pools = await Promise.all(runs.map((_, i) => hs256Tokens(N, 3600, {}, `r${r}-${i}-`)));
  const order = r % 2 === 0 ? runs : [...runs].reverse();
  for (const run of order) results[run.name]!.push(await round(run.layer, pools[runs.indexOf(run)]!));
}
console.log(`CPU µs per upgrade, ${N} distinct HS256 tokens, ${CONCURRENCY} in flight, ${ROUNDS} interleaved rounds; trees: ${TREES.map((tree, t) => `${t}=${tree}`).join(' ')}`);
const base = results['jose']!;
for (const { name } of runs) {
  const values = results[name]!;
  const tree0 = name.includes(':') ? results[`0:${name.split(':')[1]}`]! : values;
  const overJose = median(values.map((v, i) => v - base[i]!));
  const vsFirst = median(values.map((v, i) => v - tree0[i]!));
  console.log(`${name.padEnd(16)} ${median(values).toFixed(1).padStart(7)} µs   +${overJose.toFixed(1).padStart(6)} over jose (median of per-round differences)   ${vsFirst >= 0 ? '+' : ''}${vsFirst.toFixed(1)} vs tree 0`);
}
for (const tree of trees) tree.close();
