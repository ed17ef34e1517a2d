/** One line of a benchmark's result table. */
export interface ResultRow {
  /** What was measured, e.g. `handshakes/s HS256`. */
  readonly metric: string;
  /** Baseline name and value. */
  readonly baseline: string;
  readonly baselineValue: number;
  /** The sockauth value. */
  readonly value: number;
  /** `value / baselineValue` unless given (e.g. for latencies where lower is better, pass your own). */
  readonly ratio?: number;
  /** The goal, in words, e.g. `≥ 0.97 ×`. */
  readonly goal: string;
  /** Whether the goal is met. */
  readonly met: boolean;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(2);
}

/** Prints a benchmark's table: metric, baseline, sockauth, ratio, goal, met / not met. */
export function printTable(title: string, rows: readonly ResultRow[], note?: string): void {
  const header = ['metric', 'baseline', 'baseline value', 'sockauth', 'ratio', 'goal', 'result'];
  const lines = rows.map((row) => [
    row.metric,
    row.baseline,
    format(row.baselineValue),
    format(row.value),
    (row.ratio ?? row.value / row.baselineValue).toFixed(3),
    row.goal,
    row.met ? 'met' : 'NOT MET',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n## ${title}\n`);
  console.log(render(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(render(line));
  if (note) console.log(`\n${note}`);
}

/** True when the benchmark runs as a CI smoke test (tiny sizes, one round: it only proves the bench runs). */
export const SMOKE = process.env['BENCH_SMOKE'] === '1';
