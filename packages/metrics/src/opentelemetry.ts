import { assertKnownKeys, type KnownKeys } from '@sockauth/core';
import type { SessionHooks as SockAuthHooks } from '@sockauth/core';
import { DEFAULT_REVOCATION_LAG_BUCKETS, DEFAULT_VERIFY_BUCKETS, METRIC_HELP, OTEL_METRIC_NAMES, type METRIC_NAMES } from './metric-names.js';
import { hooksFor, type CommonMetricsOptions, type MetricLabels, type MetricsRecorder } from './recorder.js';

interface InstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** The parts of an OpenTelemetry `Counter`/`UpDownCounter` used here. */
export interface OtelCounterLike {
  add(value: number, attributes?: MetricLabels): void;
}
/** The parts of an OpenTelemetry `Histogram` used here. */
export interface OtelHistogramLike {
  record(value: number, attributes?: MetricLabels): void;
}
/**
 * The parts of an OpenTelemetry `Meter` (`@opentelemetry/api`) used here, e.g.
 * `metrics.getMeter('sockauth')`. Structural, so `@opentelemetry/api` stays an optional peer dependency.
 */
export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptions): OtelCounterLike;
  createUpDownCounter(name: string, options?: InstrumentOptions): OtelCounterLike;
  createHistogram(name: string, options?: InstrumentOptions): OtelHistogramLike;
}

/** Options of {@link openTelemetryHooks}. */
export interface OpenTelemetryHooksOptions extends CommonMetricsOptions {
  /** The meter that creates the instruments. */
  readonly meter: MeterLike;
  /** Prefix of every instrument name (default `sockauth.`). */
  readonly prefix?: string;
  /** Bucket advice for the verify latency histogram, in seconds (default {@link DEFAULT_VERIFY_BUCKETS}). */
  readonly buckets?: readonly number[];
  /** Bucket advice for the revocation lag histogram, in seconds (default {@link DEFAULT_REVOCATION_LAG_BUCKETS}). */
  readonly revocationLagBuckets?: readonly number[];
}

/** Every option of {@link OpenTelemetryHooksOptions}: the typecheck fails if the two drift apart. */
const OTEL_OPTION_KEYS = {
  meter: true,
  prefix: true,
  buckets: true,
  revocationLagBuckets: true,
  verifyLatency: true,
} as const satisfies KnownKeys<OpenTelemetryHooksOptions>;

function otelName(prefix: string, key: keyof typeof METRIC_NAMES): string {
  return prefix + OTEL_METRIC_NAMES[key];
}

/**
 * sockauth hooks that record OpenTelemetry metrics (counters, an up-down counter of live authenticated sockets,
 * verify duration and revocation lag histograms in seconds) with `meter`, named as in {@link OTEL_METRIC_NAMES}.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * sockAuth(io, { verifier, hooks: openTelemetryHooks({ meter: metrics.getMeter('chat') }) });
 * ```
 */
export function openTelemetryHooks(options: OpenTelemetryHooksOptions): SockAuthHooks {
  if (typeof options === 'object' && options !== null) assertKnownKeys('openTelemetryHooks options', options, OTEL_OPTION_KEYS);
  const meter = options?.meter;
  if (typeof meter?.createCounter !== 'function' || typeof meter.createUpDownCounter !== 'function' || typeof meter.createHistogram !== 'function') {
    throw new TypeError('openTelemetryHooks: "meter" must be an OpenTelemetry Meter');
  }
  const prefix = options.prefix ?? 'sockauth.';
  const counter = (key: keyof typeof METRIC_NAMES): OtelCounterLike =>
    meter.createCounter(otelName(prefix, key), { description: METRIC_HELP[key] });
  const counters = {
    handshakes: counter('handshakes'),
    reauths: counter('reauths'),
    eventRefusals: counter('eventRefusals'),
    expiries: counter('expiries'),
    revocations: counter('revocations'),
    roomEvictions: counter('roomEvictions'),
    roomJoinRefusals: counter('roomJoinRefusals'),
    downgrades: counter('downgrades'),
  };
  const live = meter.createUpDownCounter(otelName(prefix, 'authenticatedSockets'), {
    description: METRIC_HELP.authenticatedSockets,
  });
  const anonymous = meter.createUpDownCounter(otelName(prefix, 'anonymousSockets'), {
    description: METRIC_HELP.anonymousSockets,
  });
  const latency =
    options.verifyLatency === false
      ? undefined
      : meter.createHistogram(otelName(prefix, 'verifyDuration'), {
          description: METRIC_HELP.verifyDuration,
          unit: 's',
          advice: { explicitBucketBoundaries: [...(options.buckets ?? DEFAULT_VERIFY_BUCKETS)] },
        });

  const lag = meter.createHistogram(otelName(prefix, 'revocationLag'), {
    description: METRIC_HELP.revocationLag,
    unit: 's',
    advice: { explicitBucketBoundaries: [...(options.revocationLagBuckets ?? DEFAULT_REVOCATION_LAG_BUCKETS)] },
  });

  const recorder: MetricsRecorder = {
    count: (name, labels) => counters[name].add(1, labels),
    live: (delta) => live.add(delta),
    anonymous: (delta) => anonymous.add(delta),
    verified: (seconds, labels) => latency?.record(seconds, labels),
    revocationLag: (seconds, labels) => lag.record(seconds, labels),
  };
  return hooksFor(recorder, options);
}
