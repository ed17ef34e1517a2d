export { combineHooks } from './combine-hooks.js';
export { prometheusHooks } from './prometheus.js';
export type {
  PromClientLike,
  PromCounterLike,
  PromGaugeLike,
  PromHistogramLike,
  PromRegistryLike,
  PrometheusHooksOptions,
} from './prometheus.js';
export { openTelemetryHooks } from './opentelemetry.js';
export type { MeterLike, OpenTelemetryHooksOptions, OtelCounterLike, OtelHistogramLike } from './opentelemetry.js';
export { DEFAULT_REVOCATION_LAG_BUCKETS, DEFAULT_VERIFY_BUCKETS, METRIC_HELP, METRIC_NAMES, OTEL_METRIC_NAMES } from './metric-names.js';
export type { CommonMetricsOptions, MetricLabels } from './recorder.js';
