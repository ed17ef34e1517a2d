/**
 * A minimal in-memory OpenTelemetry meter. `@opentelemetry/api` alone only hands out no-op instruments (the SDK
 * is what records); this keeps every point so a test can read what was recorded.
 */
import { createNoopMeter, type Attributes, type Meter, type MetricOptions } from '@opentelemetry/api';

export class MemoryMeter {
  readonly values = new Map<string, { kind: string; options?: MetricOptions; points: { value: number; attributes?: Attributes }[] }>();

  meter(): Meter {
    const instrument = (kind: string) => (name: string, options?: MetricOptions) => {
      const entry = { kind, ...(options && { options }), points: [] as { value: number; attributes?: Attributes }[] };
      this.values.set(name, entry);
      const record = (value: number, attributes?: Attributes): void => void entry.points.push({ value, ...(attributes && { attributes }) });
      return { add: record, record };
    };
    // Everything else (gauges, observables) stays the API's no-op.
    return Object.assign(Object.create(createNoopMeter()) as Meter, {
      createCounter: instrument('counter'),
      createUpDownCounter: instrument('updown'),
      createHistogram: instrument('histogram'),
    });
  }

  /** Sum of the points of `name` whose attributes include `match`. */
  sum(name: string, match: Attributes = {}): number {
    return (this.values.get(name)?.points ?? [])
      .filter((p) => Object.entries(match).every(([k, v]) => p.attributes?.[k] === v))
      .reduce((total, p) => total + p.value, 0);
  }

  count(name: string): number {
    return this.values.get(name)?.points.length ?? 0;
  }
}

