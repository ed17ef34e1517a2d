/**
 * What the `@sockauth/ws` upgrade path costs on top of `jose`, layer by layer, in one process (no sockets, no
 * kernel, no client: only the server's own CPU per upgrade). Each layer runs `N` distinct HS256 tokens, 32 in
 * flight like `ws-handshake.ts`, in rounds that alternate their order; medians of CPU µs per upgrade:
 * - `jose`: the ws + bare jose baseline's `verifyClient` body (header regex, `jwtVerify` with a `CryptoKey`);
 * - `verifier`: `createVerifier(...).verify` (shape, digest, cache, `jwtVerify`, duplicate members, claim checks);
 * - `authenticate`: `ConnectionAuth.authenticate` (the verifier, the context, the revocation store);
 * - `verifyClient`: `wsAuth.serverOptions.verifyClient` on a request object (token sources, redaction, session);
 * - `upgrade`: `verifyClient`, then the `'connection'` of a stand-in socket (admission: index, hooks, `onConnection`)
 *   and its close (release).
 *
 *   npx tsx --conditions=@sockauth/source bench/profiles/ws-admission.ts   (BENCH_ADMISSIONS, BENCH_ROUNDS, BENCH_LAYERS)
 */
import { PerformanceObserver } from 'node:perf_hooks';
import * as core from '@sockauth/core';
import * as ws from '@sockauth/ws';
import { median } from '../lib/stats.js';
import { hs256Tokens } from '../lib/tokens.js';
import { admissionLayers } from '../lib/ws-admission-layers.js';

const N = Number(process.env['BENCH_ADMISSIONS'] ?? 4000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const CONCURRENCY = 32;

const admission = await admissionLayers(core, ws);
const LAYERS: Record<string, (token: string) => Promise<unknown>> = admission.layers;
/** BENCH_LAYERS=jose,upgrade: only those (e.g. under `--cpu-prof`). */
const names = process.env['BENCH_LAYERS']?.split(',') ?? Object.keys(LAYERS);

/** Main-thread GC pauses so far, in ms. */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });
const gc: Record<string, number[]> = {};

async function round(layer: (token: string) => Promise<unknown>, tokens: readonly string[], name?: string): Promise<number> {
  let next = 0;
  const gcBefore = gcMs;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < tokens.length) await layer(tokens[next++]!);
    }),
  );
  const { user, system } = process.cpuUsage(cpu);
  // GC entries are delivered on a later turn: read after one.
  await new Promise((resolve) => setImmediate(resolve));
  if (name !== undefined) (gc[name] ??= []).push(((gcMs - gcBefore) * 1000) / tokens.length);
  return (user + system) / tokens.length;
}

// Every token signed before anything is measured: signing's garbage is not collected in a measured round.
const warmup = await Promise.all(names.map((name) => hs256Tokens(N, 3600, {}, `warm-${name}-`)));
const pools = await Promise.all(Array.from({ length: ROUNDS * names.length }, (_, i) => hs256Tokens(N, 3600, {}, `r${i}-`)));
const results: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
for (const [i, name] of names.entries()) await round(LAYERS[name]!, warmup[i]!);
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 === 0 ? names : [...names].reverse()) results[name]!.push(await round(LAYERS[name]!, pools.pop()!, name));
}
admission.close();
const base = median(results['jose'] ?? [0]);
console.log(`CPU µs per upgrade, ${N} distinct HS256 tokens, ${CONCURRENCY} in flight, median of ${ROUNDS} alternating rounds`);
for (const name of names) {
  const value = median(results[name]!);
  console.log(`${name.padEnd(13)} ${value.toFixed(1).padStart(7)} µs   +${(value - base).toFixed(1).padStart(6)} over jose, GC ${median(gc[name]!).toFixed(1).padStart(5)} µs   (rounds ${results[name]!.map((v) => v.toFixed(0)).join(' ')})`);
}
