/**
 * The shipped Grafana dashboard (packages/metrics/dashboards/sockauth.json) and Prometheus rules
 * (packages/metrics/alerts/sockauth.rules.yml) against a real Prometheus scraping the Socket.IO demo every second:
 * after real traffic (accepted and refused handshakes, a forbidden event, a refused room join, accepted and refused
 * re-auths, a re-auth that evicts a room, a revocation, an expiry), every dashboard query and every rule expression
 * is a valid query, the rules load and evaluate without error, and the queries the traffic feeds return series.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { METRIC_NAMES } from '@sockauth/metrics';
import { closeAll, waitForRoomLeft } from '@sockauth/testing';
import { connect, nextEvent, refused } from '../support/clients';
import { pollUntil, readRuleFile, startPrometheus, type PromQueryAnswer, type PrometheusServer } from '../support/prometheus';
import { adminToken, ask, connectWith, login, mint, nowSec, post, uniqueUser } from '../contract/helpers';
import { SERVER_HOOK_TIMEOUT_MS, contractServers, type RunningServer } from '../contract/servers';

const METRICS_PACKAGE = resolve(__dirname, '../../packages/metrics');
const RULES = resolve(METRICS_PACKAGE, 'alerts/sockauth.rules.yml');
const DASHBOARD = resolve(METRICS_PACKAGE, 'dashboards/sockauth.json');
const JOB = 'sockauth-demo';
const PREFIX = 'sockauth_';

interface Target {
  expr: string;
  refId: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  __inputs: { name: string; type: string; value?: string }[];
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');
const queries = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, target })));
const rules = readRuleFile(RULES);

/** Panels the demo traffic cannot fill: it never makes keys or the store unavailable, nor an alert fire. */
const EMPTY_WITH_DEMO_TRAFFIC = new Set(['AUTH_UNAVAILABLE by node', 'Firing sockauth alerts']);

/** A dashboard query as Grafana would send it: its variables replaced with concrete values. */
function concrete(expr: string, instance: string): string {
  const out = expr
    .replaceAll('${prefix}', PREFIX)
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$job', JOB)
    .replaceAll('$instance', instance);
  if (out.includes('$')) throw new Error(`unreplaced variable in ${expr}`);
  return out;
}

function seriesOf(answer: PromQueryAnswer): unknown[] {
  return answer.status === 'success' && Array.isArray(answer.data.result) ? answer.data.result : [];
}

describe('dashboards/sockauth.json: static shape', () => {
  test('the datasource is the ${DS_PROMETHEUS} input on every panel and query; the prefix is an input too', () => {
    expect(dashboard.__inputs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource' }),
        expect.objectContaining({ name: 'VAR_PREFIX', type: 'constant', value: PREFIX }),
      ]),
    );
    for (const panel of panels) expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({ panel: panel.title, uid: '${DS_PROMETHEUS}' });
    for (const { panel, target } of queries) {
      expect({ panel, uid: target.datasource?.uid }).toEqual({ panel, uid: '${DS_PROMETHEUS}' });
    }
  });

  test('every metric @sockauth/metrics exports has a panel, and no query names another', () => {
    const histograms = [METRIC_NAMES.verifyDuration, METRIC_NAMES.revocationLag].map((name) => `${name}_bucket`);
    const known = new Set<string>([...Object.values(METRIC_NAMES), ...histograms]);
    const used = new Set(queries.flatMap(({ target }) => [...target.expr.matchAll(/\$\{prefix\}(\w+)/g)].map((m) => m[1]!)));
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
    expect(Object.values(METRIC_NAMES).filter((name) => !used.has(name) && !used.has(`${name}_bucket`))).toEqual([]);
    // The metric names are written with the prefix variable, never hard-coded.
    expect(queries.filter(({ target }) => target.expr.includes(PREFIX)).map(({ panel }) => panel)).toEqual([]);
  });
});

describe('dashboard and rules against a real Prometheus scraping the demo', () => {
  let demo: RunningServer;
  let prometheus: PrometheusServer;
  let instance = '';

  beforeAll(async () => {
    demo = await contractServers[0]!.start({ CLOCK_TOLERANCE_SEC: '0' });
    instance = new URL(demo.url).host;
    prometheus = await startPrometheus({ targets: [instance], job: JOB, ruleFiles: [RULES] });
  }, SERVER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await closeAll();
    await prometheus?.stop();
    await demo?.stop();
  });

  test('every query is valid, the rules evaluate cleanly, and the traffic fills the panels', async () => {
    const url = demo.url;
    // Traffic: accepted handshakes, AUTH_INVALID and AUTH_MISSING refusals, a forbidden event, a refused room join,
    // an accepted and a refused re-auth, a downgrade that evicts a room, a revocation cut (and its lag) and an
    // expiry cut. The revocation comes after every other counter's first increment: see the poll below.
    const alice = uniqueUser('alice');
    const bob = uniqueUser('bob');
    const aliceTokens = await login(url, alice);
    const aliceSocket = await connectWith(url, aliceTokens.accessToken);
    const bobSocket = await connectWith(url, (await login(url, bob)).accessToken);
    expect((await refused(url, { auth: { token: `${aliceTokens.accessToken.slice(0, -4)}AAAA` } })).data?.code).toBe('AUTH_INVALID');
    expect((await refused(url)).data?.code).toBe('AUTH_MISSING');
    await expect(ask(aliceSocket, 'admin:announce', { text: 'hi' })).resolves.toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
    // A staff- room needs chat:admin as well as chat:read.
    await expect(ask(aliceSocket, 'chat:join', { room: 'staff-x' })).resolves.toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
    // A downgrade: dave re-authenticates with a newer token without chat:read and leaves `general` before the ack.
    // Operator tokens (no `sid`): each demo login opens a session of its own, which a re-auth may not switch to.
    const dave = uniqueUser('dave');
    const iat = nowSec() - 1;
    const daveSocket = await connectWith(url, await mint({ sub: dave, scope: 'chat:read chat:write' }, { iat }));
    await expect(ask(daveSocket, 'chat:join', { room: 'general' })).resolves.toMatchObject({ ok: true });
    const evicted = waitForRoomLeft(daveSocket, 'general');
    const writeOnly = await mint({ sub: dave, scope: 'chat:write' }, { iat: iat + 1 });
    await expect(ask(daveSocket, 'auth:refresh', { token: writeOnly })).resolves.toMatchObject({ ok: true });
    await expect(evicted).resolves.toMatchObject({ room: 'general', code: 'AUTH_FORBIDDEN' });
    const fresh = await post(url, '/auth/refresh', { refreshToken: aliceTokens.refreshToken });
    await expect(ask(aliceSocket, 'auth:refresh', { token: fresh.body.accessToken })).resolves.toMatchObject({ ok: true });
    await expect(ask(bobSocket, 'auth:refresh', { token: fresh.body.accessToken })).resolves.toMatchObject({
      ok: false,
      error: { code: 'AUTH_IDENTITY_MISMATCH' },
    });
    const revoked = nextEvent(aliceSocket, 'disconnect');
    const revocation = await post(url, '/auth/revoke', { subject: alice }, { authorization: `Bearer ${await adminToken()}` });
    expect(revocation.status).toBe(200);
    await revoked;
    const shortLived = await connect(url, { auth: { token: (await login(url, uniqueUser('carol'), { ttlSec: 1 })).accessToken } });
    await nextEvent(shortLived, 'disconnect');

    // Prometheus has scraped the expiry, and the revocation's series twice: that series is the newest, so every
    // other sockauth series has two samples too, and rates have a value.
    await pollUntil('two scrapes after the revocation, one after the expiry', async () => {
      const ready = await prometheus.query(
        `count_over_time(${PREFIX}revocations_total{job="${JOB}"}[1m]) >= 2 and on () sum(${PREFIX}expiries_total{job="${JOB}"}) >= 1`,
      );
      return seriesOf(ready).length > 0 ? true : undefined;
    });
    // Every rule loaded and evaluated at least once since, without error.
    const groups = await pollUntil('every rule evaluated', async () => {
      const answer = await prometheus.api('rules');
      const loaded: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] = answer.data.groups;
      const all = loaded.flatMap((group) => group.rules);
      return all.length === rules.length && all.every((rule) => rule.health !== 'unknown') ? all : undefined;
    });
    expect(groups.filter((rule) => rule.health !== 'ok' || rule.lastError)).toEqual([]);

    // The dashboard's variables resolve to the demo's job and node.
    const jobs = await prometheus.api(`label/job/values`, { 'match[]': `${PREFIX}handshakes_total` });
    expect(jobs.data).toContain(JOB);
    const nodes = await prometheus.api(`label/instance/values`, { 'match[]': `${PREFIX}authenticated_sockets{job=~"${JOB}"}` });
    expect(nodes.data).toContain(instance);

    const problems: string[] = [];
    for (const { panel, target } of queries) {
      const expr = concrete(target.expr, instance);
      const answer = await prometheus.query(expr);
      if (answer.status !== 'success') problems.push(`${panel} ${target.refId}: ${answer.errorType}: ${answer.error}\n  ${expr}`);
      else if (!EMPTY_WITH_DEMO_TRAFFIC.has(panel) && seriesOf(answer).length === 0) problems.push(`${panel} ${target.refId}: empty\n  ${expr}`);
    }
    for (const rule of rules) {
      const name = rule.record ?? rule.alert;
      const answer = await prometheus.query(rule.expr);
      if (answer.status !== 'success') problems.push(`rule ${name}: ${answer.errorType}: ${answer.error}`);
      // Recording rules aggregate what the traffic produced; alerts (thresholds) may rightly be empty.
      else if (rule.record !== undefined && seriesOf(answer).length === 0) problems.push(`rule ${name}: empty`);
    }
    expect(problems).toEqual([]);
  }, 30_000);
});
