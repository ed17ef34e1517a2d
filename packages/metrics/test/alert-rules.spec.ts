/**
 * The shipped Prometheus rules (alerts/sockauth.rules.yml): `promtool check rules` accepts them, `promtool test
 * rules` runs test/alerts/sockauth.rules.test.yml (recorded series on which every alert fires, and near-threshold
 * series on which it must not), and the file keeps its promises: only metric names @sockauth/metrics exports,
 * every alert labelled with a severity, annotated, linked to its runbook entry in the README, and tested both ways.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { METRIC_NAMES } from '@sockauth/metrics';
import { promtool, readRuleFile } from '../../../test/support/prometheus.js';

const PACKAGE = resolve(__dirname, '..');
const RULES = join(PACKAGE, 'alerts/sockauth.rules.yml');
const RULE_TESTS = join(PACKAGE, 'test/alerts/sockauth.rules.test.yml');
const README = join(PACKAGE, 'README.md');

interface RuleTest {
  name: string;
  alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: unknown[] }[];
}

const rules = readRuleFile(RULES);
const alerts = rules.filter((rule) => rule.alert !== undefined);
const tests: RuleTest[] = (parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: RuleTest[] }).tests;

/** Prometheus durations as used here (`90s`, `5m`, `1h`), in seconds. */
function seconds(duration: string): number {
  const match = /^(\d+)([smh])$/.exec(duration);
  if (match === null) throw new TypeError(`unsupported duration ${duration}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
}

/** GitHub's anchor for a Markdown heading (lower case, punctuation dropped, spaces as dashes). */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

describe('alerts/sockauth.rules.yml', () => {
  test('promtool check rules accepts it', async () => {
    await expect(promtool(['check', 'rules', RULES])).resolves.toMatch(/SUCCESS: \d+ rules found/);
  });

  test('promtool test rules: every alert fires on its recorded series, and not on the near-threshold ones', async () => {
    await expect(promtool(['test', 'rules', RULE_TESTS])).resolves.toMatch(/SUCCESS/);
  });

  test('uses only the metric names @sockauth/metrics exports (default prefix sockauth_)', () => {
    const known = new Set(Object.values(METRIC_NAMES).map((name) => `sockauth_${name}`));
    for (const histogram of [METRIC_NAMES.verifyDuration, METRIC_NAMES.revocationLag]) {
      for (const series of ['bucket', 'count', 'sum']) known.add(`sockauth_${histogram}_${series}`);
    }
    const recorded = new Set(rules.flatMap((rule) => (rule.record === undefined ? [] : [rule.record])));
    const used = new Set<string>();
    for (const rule of rules) {
      // Metric names: `sockauth_...` not inside a recording rule name (`job:sockauth_...:rate5m`).
      for (const match of rule.expr.matchAll(/(?<![:\w])sockauth_\w+/g)) used.add(match[0]);
      for (const match of rule.expr.matchAll(/\w+:sockauth_\w+:\w+/g)) {
        expect({ expr: rule.expr, recorded: recorded.has(match[0]) }).toEqual({ expr: rule.expr, recorded: true });
      }
    }
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThan(0);
  });

  test.each(alerts.map((rule) => [rule.alert!, rule] as const))(
    '%s: severity, summary, description, and a runbook_url to its README entry',
    (name, rule) => {
      expect(name).toMatch(/^SockAuth[A-Z]\w+$/);
      expect(['warning', 'critical']).toContain(rule.labels?.['severity']);
      expect(rule.annotations?.['summary']).toEqual(expect.any(String));
      expect(rule.annotations?.['description']).toEqual(expect.any(String));
      const url = rule.annotations?.['runbook_url'] ?? '';
      expect(url).toBe(`https://github.com/sockauth/sockauth/blob/main/packages/metrics/README.md#${anchor(name)}`);
      const headings = [...readFileSync(README, 'utf8').matchAll(/^#{2,6} (.+)$/gm)].map((m) => anchor(m[1]!));
      expect(headings).toContain(anchor(name));
    },
  );

  test.each(alerts.map((rule) => [rule.alert!, rule] as const))(
    '%s: tested firing, and tested not firing once its window and `for` have elapsed',
    (name, rule) => {
      const cases = tests.flatMap((t) => (t.alert_rule_test ?? []).filter((c) => c.alertname === name));
      expect(cases.some((c) => (c.exp_alerts ?? []).length > 0)).toBe(true);
      // An empty expectation only proves a threshold when the rule could have fired: after the longest rate
      // window (5m here) plus its `for`.
      const settled = 300 + seconds(rule.for ?? '0s');
      expect(cases.some((c) => (c.exp_alerts ?? []).length === 0 && seconds(c.eval_time) >= settled)).toBe(true);
    },
  );
});
