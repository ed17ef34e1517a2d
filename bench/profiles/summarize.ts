/**
 * Summarises V8 CPU profiles written with BENCH_CPU_PROF, for bench/README.md's "what costs what":
 *
 *   npx tsx bench/profiles/summarize.ts busy <server.cpuprofile>
 *     busy time, and the share of busy samples whose stack passes through each package (inclusive)
 *   npx tsx bench/profiles/summarize.ts diff <baseline.cpuprofile> <other.cpuprofile> [rows]
 *     self time by function, largest increases from the baseline first (ms: increase, baseline, other)
 *   npx tsx bench/profiles/summarize.ts top <profile> [rows]
 *     self and inclusive time by function, largest first (a short profile of one call, e.g. BENCH_REEVALUATION_PROF)
 *
 * The server process is the profile whose `busy` output lists socket.io (the client lists socket.io-client).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function load(file: string): { byId: Map<number, ProfileNode>; parent: Map<number, number>; profile: Profile } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  return { byId, parent, profile };
}

/** `jose`, `@socket.io/component-emitter`, `@sockauth/core`, … or undefined for Node internals and natives. */
function packageOf(url: string): string | undefined {
  const dependency = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1];
  const workspace = /packages\/([^/]+)/.exec(url);
  return workspace ? `@sockauth/${workspace[1]}` : undefined;
}

const ms = (micros: number): string => (micros / 1000).toFixed(0).padStart(7);

function busy(file: string): void {
  const { byId, parent, profile } = load(file);
  const inclusive = new Map<string, number>();
  let total = 0;
  let busyTime = 0;
  profile.samples.forEach((sample, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    if (byId.get(sample)?.callFrame.functionName === '(idle)') return;
    busyTime += delta;
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const name = packageOf(byId.get(id)!.callFrame.url);
      if (name !== undefined) seen.add(name);
    }
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + delta);
  });
  console.log(`total ${ms(total).trim()} ms, busy ${ms(busyTime).trim()} ms`);
  for (const [name, time] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`${ms(time)} ms ${((100 * time) / busyTime).toFixed(1).padStart(5)} % of busy  ${name}`);
  }
}

function frameKey(frame: ProfileNode['callFrame']): string {
  const where = frame.url.replace(/.*node_modules\//, '').replace(/.*packages\//, '@sockauth/');
  return `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
}

function selfTimeByFunction(file: string): Map<string, number> {
  const { byId, profile } = load(file);
  const result = new Map<string, number>();
  profile.samples.forEach((sample, i) => {
    const key = frameKey(byId.get(sample)!.callFrame);
    result.set(key, (result.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return result;
}

function top(file: string, rows: number): void {
  const { byId, parent, profile } = load(file);
  const self = selfTimeByFunction(file);
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((sample, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) seen.add(frameKey(byId.get(id)!.callFrame));
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
  });
  console.log(`total ${ms(total).trim()} ms\n   self  function`);
  for (const [key, time] of [...self].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${ms(time)}  ${key}`);
  console.log('  incl.  function');
  for (const [key, time] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${ms(time)}  ${key}`);
}

function diff(baselineFile: string, otherFile: string, rows: number): void {
  const baseline = selfTimeByFunction(baselineFile);
  const other = selfTimeByFunction(otherFile);
  const keys = new Set([...baseline.keys(), ...other.keys()]);
  const lines = [...keys].map((key) => ({ key, a: baseline.get(key) ?? 0, b: other.get(key) ?? 0 }));
  lines.sort((x, y) => y.b - y.a - (x.b - x.a));
  console.log('   +ms  base  other  function');
  for (const { key, a, b } of lines.slice(0, rows)) console.log(`${ms(b - a)}${ms(a)}${ms(b)}  ${key}`);
}

const [command, first, second, rows] = process.argv.slice(2);
if (command === 'busy' && first) busy(first);
else if (command === 'diff' && first && second) diff(first, second, Number(rows ?? 30));
else if (command === 'top' && first) top(first, Number(second ?? 30));
else {
  console.error('usage: summarize.ts busy <profile> | diff <baseline profile> <other profile> [rows] | top <profile> [rows]');
  process.exitCode = 2;
}
