import { assertKnownKeys, type KnownKeys } from '@sockauth/core';
import type { SessionHooks as SockAuthHooks } from '@sockauth/core';
import { DEFAULT_REVOCATION_LAG_BUCKETS, DEFAULT_VERIFY_BUCKETS, METRIC_HELP, METRIC_NAMES } from './metric-names.js';
import { hooksFor, type CommonMetricsOptions, type MetricLabels, type MetricsRecorder } from './recorder.js';

/** The parts of a prom-client `Registry` used here. */
export interface PromRegistryLike {
  getSingleMetric(name: string): unknown;
}

interface PromMetricConfig<R> {
  name: string;
  help: string;
  labelNames?: string[];
  registers?: R[];
}

/** The parts of a prom-client `Counter` used here. */
export interface PromCounterLike {
  inc(labels: MetricLabels, value?: number): void;
  inc(value?: number): void;
}
/** The parts of a prom-client `Gauge` used here. */
export interface PromGaugeLike {
  inc(value?: number): void;
  dec(value?: number): void;
}
/** The parts of a prom-client `Histogram` used here. */
export interface PromHistogramLike {
  observe(labels: MetricLabels, value: number): void;
}

/**
 * The parts of the `prom-client` module used here: pass the module itself (`import client from 'prom-client'`).
 * `prom-client` is an optional peer dependency; taking it as an argument keeps `@sockauth/metrics` importable
 * without it, and guarantees the metrics are built by the same copy of prom-client as your registry.
 */
export interface PromClientLike<R extends PromRegistryLike = PromRegistryLike> {
  Counter: new (config: PromMetricConfig<R>) => PromCounterLike;
  Gauge: new (config: PromMetricConfig<R>) => PromGaugeLike;
  Histogram: new (config: PromMetricConfig<R> & { buckets?: number[] }) => PromHistogramLike;
  register: R;
}

/** Options of {@link prometheusHooks}. */
export interface PrometheusHooksOptions<R extends PromRegistryLike = PromRegistryLike> extends CommonMetricsOptions {
  /** The prom-client module. */
  readonly client: PromClientLike<R>;
  /** Where to register the metrics (default: prom-client's global `register`). */
  readonly registry?: R;
  /** Prefix of every metric name (default `sockauth_`). */
  readonly prefix?: string;
  /** Buckets of the verify latency histogram, in seconds (default {@link DEFAULT_VERIFY_BUCKETS}). */
  readonly buckets?: readonly number[];
  /** Buckets of the revocation lag histogram, in seconds (default {@link DEFAULT_REVOCATION_LAG_BUCKETS}). */
  readonly revocationLagBuckets?: readonly number[];
}

/** Every option of {@link PrometheusHooksOptions}: the typecheck fails if the two drift apart. */
const PROMETHEUS_OPTION_KEYS = {
  client: true,
  registry: true,
  prefix: true,
  buckets: true,
  revocationLagBuckets: true,
  verifyLatency: true,
} as const satisfies KnownKeys<PrometheusHooksOptions>;

/**
 * sockauth hooks that maintain Prometheus metrics (see {@link METRIC_NAMES}) in a prom-client registry, among them
 * `revocation_lag_seconds`, observed from `onRevoke`'s `revokedAt` when a revocation cuts a socket here. Metrics
 * already registered under the same names (a second `SockAuth` in the process, a hot reload) are reused.
 *
 * @example
 * ```ts
 * import client from 'prom-client';
 * const registry = new client.Registry();
 * sockAuth(io, { verifier, hooks: prometheusHooks({ client, registry }) });
 * // GET /metrics → res.end(await registry.metrics())
 * ```
 */
export function prometheusHooks<R extends PromRegistryLike>(options: PrometheusHooksOptions<R>): SockAuthHooks {
  if (typeof options === 'object' && options !== null) assertKnownKeys('prometheusHooks options', options, PROMETHEUS_OPTION_KEYS);
  const client = options?.client;
  if (typeof client?.Counter !== 'function' || typeof client.Gauge !== 'function' || typeof client.Histogram !== 'function') {
    throw new TypeError('prometheusHooks: "client" must be the prom-client module');
  }
  const registry = options.registry ?? client.register;
  if (typeof registry?.getSingleMetric !== 'function') throw new TypeError('prometheusHooks: "registry" must be a prom-client Registry');
  const prefix = options.prefix ?? 'sockauth_';
  const buckets = [...(options.buckets ?? DEFAULT_VERIFY_BUCKETS)];
  const lagBuckets = [...(options.revocationLagBuckets ?? DEFAULT_REVOCATION_LAG_BUCKETS)];

  function metric<T>(key: keyof typeof METRIC_NAMES, create: (config: PromMetricConfig<R>) => T, labelNames: string[] = []): T {
    const name = prefix + METRIC_NAMES[key];
    const existing = registry.getSingleMetric(name);
    if (existing !== undefined) return existing as T;
    return create({ name, help: METRIC_HELP[key], labelNames, registers: [registry] });
  }

  const counters = {
    handshakes: metric('handshakes', (c) => new client.Counter(c), ['stage', 'outcome', 'code']),
    reauths: metric('reauths', (c) => new client.Counter(c), ['outcome', 'code']),
    eventRefusals: metric('eventRefusals', (c) => new client.Counter(c), ['code']),
    expiries: metric('expiries', (c) => new client.Counter(c)),
    revocations: metric('revocations', (c) => new client.Counter(c), ['kind']),
    roomEvictions: metric('roomEvictions', (c) => new client.Counter(c), ['code']),
    roomJoinRefusals: metric('roomJoinRefusals', (c) => new client.Counter(c), ['code']),
    downgrades: metric('downgrades', (c) => new client.Counter(c), ['reason']),
  };
  const live = metric('authenticatedSockets', (c) => new client.Gauge(c));
  const anonymous = metric('anonymousSockets', (c) => new client.Gauge(c));
  const latency =
    options.verifyLatency === false
      ? undefined
      : metric('verifyDuration', (c) => new client.Histogram({ ...c, buckets }), ['stage', 'outcome']);
  const lag = metric('revocationLag', (c) => new client.Histogram({ ...c, buckets: lagBuckets }), ['kind']);

  const recorder: MetricsRecorder = {
    count: (name, labels) => (labels === undefined ? counters[name].inc() : counters[name].inc(labels)),
    live: (delta) => (delta > 0 ? live.inc() : live.dec()),
    anonymous: (delta) => (delta > 0 ? anonymous.inc() : anonymous.dec()),
    verified: (seconds, labels) => latency?.observe(labels, seconds),
    revocationLag: (seconds, labels) => lag.observe(labels, seconds),
  };
  return hooksFor(recorder, options);
}
