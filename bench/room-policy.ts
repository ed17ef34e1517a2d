/**
 * Room policy checks: `RoomPolicy.allows` (the synchronous static part a broadcast path may call for each of
 * 10,000 sockets) on an exact name, a bound-segment hit, a wildcard hit and a miss, against the cheapest check
 * there is today: `satisfies()` of one compiled requirement (what an event map check costs). In-process, no
 * sockets; after a warm-up round, each figure is the median of five time-boxed runs (about 0.8 s in all).
 *
 *   npm run bench:room-policy
 */
import { compileRequirement, compileRoomPolicies, createAuthContext, satisfies, type AuthContext } from '@sockauth/core';
import { median } from './lib/stats.js';
import { SMOKE, printTable } from './lib/table.js';

const SLICE_MS = SMOKE ? 5 : 25;
const ROUNDS = 5;

const policy = compileRoomPolicies({
  lobby: null,
  general: 'chat:read',
  random: 'chat:read',
  '*': 'chat:read',
  'staff-*': ['chat:read', 'chat:admin'],
  'staff-archive': false,
  'tenant:{tenant}:*': 'chat:read',
  'tenant:{tenant}:admin': ['chat:read', 'chat:admin'],
  'user:{sub}': null,
  'dm:{sub}:*': 'chat:read',
  'org:{org}:team:{team}': 'chat:read',
});
const nowSec = Math.floor(Date.now() / 1000);
const context: AuthContext = createAuthContext({
  sub: 'alice',
  tenant: 'acme',
  org: 'o1',
  team: 't1',
  permissions: ['chat:read'],
  iat: nowSec,
  exp: nowSec + 3600,
});
const requirement = compileRequirement('chat:read');

/** Calls of `check` per second, over `SLICE_MS` of wall time, in batches of 1,000. */
function rate(check: () => boolean, expected: boolean): number {
  let calls = 0;
  let agree = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(SLICE_MS * 1e6);
  let now = start;
  while (now < end) {
    for (let i = 0; i < 1000; i++) if (check() === expected) agree++;
    calls += 1000;
    now = process.hrtime.bigint();
  }
  if (agree !== calls) throw new Error('a check gave an unexpected answer');
  return calls / (Number(now - start) / 1e9);
}

const CASES = [
  { name: 'exact name hit (general)', room: 'general', expected: true },
  { name: 'bound-segment hit (tenant:acme:general)', room: 'tenant:acme:general', expected: true },
  { name: 'two bound segments (org:o1:team:t1)', room: 'org:o1:team:t1', expected: true },
  { name: 'wildcard refusal (staff-ops, no chat:admin)', room: 'staff-ops', expected: false },
  { name: 'bound-segment miss (user:bob)', room: 'user:bob', expected: false },
] as const;

const baseline: number[] = [];
const results = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
// Round 0 warms the JIT up and is not counted.
for (let round = -1; round < ROUNDS; round++) {
  if (round === 0) {
    baseline.length = 0;
    for (const list of results.values()) list.length = 0;
  }
  baseline.push(rate(() => satisfies(context, requirement), true));
  for (const { name, room, expected } of CASES) results.get(name)!.push(rate(() => policy.allows(context, room), expected));
}
const base = median(baseline);
printTable(
  `RoomPolicy.allows, calls/s (11 rules, median of ${ROUNDS} runs of ${SLICE_MS} ms)`,
  CASES.map(({ name }) => ({
    metric: `allows(): ${name}`,
    baseline: 'satisfies() of one requirement',
    baselineValue: base,
    value: median(results.get(name)!),
    goal: 'report',
    met: true,
  })),
  'A broadcast to 10,000 sockets checking each one costs 10,000 / (calls/s) seconds of CPU.',
);
