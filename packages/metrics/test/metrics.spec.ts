import { metrics } from '@opentelemetry/api';
import client, { Registry } from 'prom-client';
import type { SockAuthHooks } from '@sockauth/socket.io';
import { HOOK_NAMES, combineHooks } from '../src/combine-hooks.js';
import { DEFAULT_REVOCATION_LAG_BUCKETS, OTEL_METRIC_NAMES, combineHooks as exported, openTelemetryHooks, prometheusHooks } from '../src/index.js';
import { MemoryMeter } from './memory-meter.js';

/** Drives every hook once, the way SockAuth would for a small session. */
function drive(hooks: SockAuthHooks): void {
  hooks.onVerify?.({ stage: 'handshake', durationMs: 0.8, outcome: 'accepted' });
  hooks.onAuthenticated?.({ socketId: 's1', namespace: '/', subject: 'alice', stage: 'handshake', expiresAt: 0 });
  hooks.onVerify?.({ stage: 'handshake', durationMs: 0.3, outcome: 'refused', code: 'AUTH_INVALID' });
  hooks.onAuthFailure?.({ code: 'AUTH_INVALID', stage: 'handshake', socketId: 's2', namespace: '/' });
  hooks.onAuthFailure?.({ code: 'AUTH_REVOKED', stage: 'recovery', socketId: 's3', namespace: '/' });
  hooks.onAuthFailure?.({ code: 'AUTH_FORBIDDEN', stage: 'event', socketId: 's1', namespace: '/', event: 'x' });
  hooks.onAuthFailure?.({ code: 'AUTH_STALE', stage: 'reauth', socketId: 's1', namespace: '/', event: 'auth:refresh' });
  hooks.onVerify?.({ stage: 'reauth', durationMs: 2, outcome: 'accepted' });
  hooks.onReauth?.({ socketId: 's1', namespace: '/', subject: 'alice', version: 2, expiresAt: 0 });
  hooks.onAuthenticated?.({ socketId: 's4', namespace: '/admin', subject: 'bob', stage: 'recovery', expiresAt: 0 });
  // Recorded 40 ms ago on another node: lag between 25 and 50 ms (drive() is synchronous).
  hooks.onRevoke?.({ socketId: 's4', namespace: '/', subject: 'bob', kind: 'subject', revokedAt: Date.now() - 40 });
  hooks.onRelease?.({ socketId: 's4', namespace: '/admin', subject: 'bob', reason: 'revoked' });
  hooks.onExpire?.({ socketId: 's1', namespace: '/', subject: 'alice' });
  hooks.onRelease?.({ socketId: 's1', namespace: '/', subject: 'alice', reason: 'expired' });
  hooks.onAuthenticated?.({ socketId: 's5', namespace: '/', subject: 'carol', stage: 'handshake', expiresAt: 0 });
}

describe('combineHooks', () => {
  test('calls every set in order, bound to its set; a throwing hook does not stop the others', () => {
    const calls: string[] = [];
    const owner = {
      name: 'owner',
      onRevoke(this: { name: string }) {
        calls.push(`owner:${this.name}`);
      },
    };
    const combined = combineHooks(
      { onRevoke: () => calls.push('first') },
      undefined,
      false,
      { onRevoke: () => { throw new Error('broken'); } },
      owner,
    );
    combined.onRevoke!({ socketId: 's', namespace: '/', subject: 'a', kind: 'token', revokedAt: 0 });
    expect(calls).toEqual(['first', 'owner:owner']);
  });

  test('a hook no set defines stays undefined (so onVerify costs nothing unless someone wants it)', () => {
    const combined = combineHooks({ onRevoke: () => undefined }, {});
    expect(Object.keys(combined)).toEqual(['onRevoke']);
    expect(combined.onVerify).toBeUndefined();
    expect(combineHooks()).toEqual({});
  });

  test('a single hook is used as is', () => {
    const onExpire = jest.fn();
    expect(combineHooks({ onExpire }).onExpire).not.toBe(onExpire); // bound
    combineHooks({ onExpire }).onExpire!({ socketId: 's', namespace: '/', subject: 'a' });
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  test('knows every hook and is the package export', () => {
    expect([...HOOK_NAMES].sort()).toEqual(Object.keys(prometheusHooks({ client, registry: new Registry() })).sort());
    expect(exported).toBe(combineHooks);
  });
});

describe('prometheusHooks', () => {
  test('turns hooks into counters, a live gauge and a latency histogram in the given registry', async () => {
    const registry = new Registry();
    drive(prometheusHooks({ client, registry }));
    const text = await registry.metrics();
    expect(text).toContain('sockauth_handshakes_total{stage="handshake",outcome="accepted"} 2');
    expect(text).toContain('sockauth_handshakes_total{stage="recovery",outcome="accepted"} 1');
    expect(text).toContain('sockauth_handshakes_total{stage="handshake",outcome="refused",code="AUTH_INVALID"} 1');
    expect(text).toContain('sockauth_handshakes_total{stage="recovery",outcome="refused",code="AUTH_REVOKED"} 1');
    expect(text).toContain('sockauth_reauths_total{outcome="accepted"} 1');
    expect(text).toContain('sockauth_reauths_total{outcome="refused",code="AUTH_STALE"} 1');
    expect(text).toContain('sockauth_event_refusals_total{code="AUTH_FORBIDDEN"} 1');
    expect(text).toContain('sockauth_expiries_total 1');
    expect(text).toContain('sockauth_revocations_total{kind="subject"} 1');
    expect(text).toContain('sockauth_authenticated_sockets 1');
    expect(text).toContain('sockauth_verify_duration_seconds_count{stage="handshake",outcome="accepted"} 1');
    expect(text).toContain('sockauth_verify_duration_seconds_count{stage="handshake",outcome="refused"} 1');
    expect(text).toContain('sockauth_verify_duration_seconds_sum{stage="reauth",outcome="accepted"} 0.002');
    expect(text).toContain('sockauth_verify_duration_seconds_bucket{le="0.001",stage="handshake",outcome="accepted"} 1');
    expect(text).toContain('sockauth_revocation_lag_seconds_bucket{le="0.025",kind="subject"} 0');
    expect(text).toContain('sockauth_revocation_lag_seconds_bucket{le="0.05",kind="subject"} 1');
    expect(text).toContain('sockauth_revocation_lag_seconds_count{kind="subject"} 1');
  });

  test('revocation lag: a clock behind the recording node counts as 0, a record without a time is not observed', async () => {
    const registry = new Registry();
    const hooks = prometheusHooks({ client, registry, revocationLagBuckets: [0, 1] });
    hooks.onRevoke!({ socketId: 's', namespace: '/', subject: 'a', kind: 'token', revokedAt: Date.now() + 5_000 });
    hooks.onRevoke!({ socketId: 's', namespace: '/', subject: 'a', kind: 'token', revokedAt: Number.NaN });
    const text = await registry.metrics();
    expect(text).toContain('sockauth_revocation_lag_seconds_bucket{le="0",kind="token"} 1');
    expect(text).toContain('sockauth_revocation_lag_seconds_count{kind="token"} 1');
    expect(text).toContain('sockauth_revocations_total{kind="token"} 2');
  });

  test('a second set of hooks on the same registry reuses the metrics; a prefix namespaces them', async () => {
    const registry = new Registry();
    drive(prometheusHooks({ client, registry }));
    drive(prometheusHooks({ client, registry }));
    drive(prometheusHooks({ client, registry, prefix: 'chat_auth_' }));
    const text = await registry.metrics();
    expect(text).toContain('sockauth_expiries_total 2');
    expect(text).toContain('chat_auth_expiries_total 1');
  });

  test('verifyLatency: false installs no onVerify hook and no histogram', async () => {
    const registry = new Registry();
    const hooks = prometheusHooks({ client, registry, verifyLatency: false });
    expect(hooks.onVerify).toBeUndefined();
    drive(hooks);
    expect(await registry.metrics()).not.toContain('verify_duration');
  });

  test('defaults to prom-client’s global registry', async () => {
    prometheusHooks({ client, prefix: 'sockauth_global_test_' }).onExpire!({ socketId: 's', namespace: '/', subject: 'a' });
    expect(await client.register.getSingleMetricAsString('sockauth_global_test_expiries_total')).toContain(' 1');
    client.register.removeSingleMetric('sockauth_global_test_expiries_total');
  });

  test.each([[{}], [{ client: {} }], [{ client, registry: {} }], [undefined], [{ client, revocationLagBucket: [1] }]])('refuses %p with a TypeError', (options) => {
    expect(() => prometheusHooks(options as never)).toThrow(TypeError);
  });
});

describe('openTelemetryHooks', () => {
  afterEach(() => metrics.disable());

  test('records counters, an up-down counter of live sockets and a histogram in seconds, with a real API meter', () => {
    const memory = new MemoryMeter();
    metrics.setGlobalMeterProvider({ getMeter: () => memory.meter() });
    drive(openTelemetryHooks({ meter: metrics.getMeter('sockauth-test') }));
    expect(memory.sum('sockauth.handshakes', { outcome: 'accepted' })).toBe(3);
    expect(memory.sum('sockauth.handshakes', { outcome: 'refused', code: 'AUTH_INVALID', stage: 'handshake' })).toBe(1);
    expect(memory.sum('sockauth.reauths', { outcome: 'refused', code: 'AUTH_STALE' })).toBe(1);
    expect(memory.sum('sockauth.event_refusals', { code: 'AUTH_FORBIDDEN' })).toBe(1);
    expect(memory.sum('sockauth.expiries')).toBe(1);
    expect(memory.sum('sockauth.revocations', { kind: 'subject' })).toBe(1);
    expect(memory.sum('sockauth.authenticated_sockets')).toBe(1);
    expect(memory.values.get('sockauth.authenticated_sockets')?.kind).toBe('updown');
    const histogram = memory.values.get('sockauth.verify.duration');
    expect(histogram).toMatchObject({ kind: 'histogram', options: { unit: 's' } });
    expect(histogram?.points).toEqual([
      { value: 0.0008, attributes: { stage: 'handshake', outcome: 'accepted' } },
      { value: 0.0003, attributes: { stage: 'handshake', outcome: 'refused' } },
      { value: 0.002, attributes: { stage: 'reauth', outcome: 'accepted' } },
    ]);
    const lag = memory.values.get('sockauth.revocation.lag');
    expect(lag).toMatchObject({ kind: 'histogram', options: { unit: 's', advice: { explicitBucketBoundaries: [...DEFAULT_REVOCATION_LAG_BUCKETS] } } });
    expect(lag?.points).toEqual([{ value: expect.any(Number), attributes: { kind: 'subject' } }]);
    expect(lag?.points[0]?.value).toBeGreaterThanOrEqual(0.04);
    expect(lag?.points[0]?.value).toBeLessThan(1);
  });

  test('a prefix, and no histogram without verifyLatency', () => {
    const memory = new MemoryMeter();
    const hooks = openTelemetryHooks({ meter: memory.meter(), prefix: 'chat.auth.', verifyLatency: false });
    expect(hooks.onVerify).toBeUndefined();
    drive(hooks);
    expect([...memory.values.keys()].every((name) => name.startsWith('chat.auth.'))).toBe(true);
    expect(memory.values.has('chat.auth.verify.duration')).toBe(false);
  });

  test.each([[{}], [{ meter: {} }], [undefined], [{ meter: new MemoryMeter().meter(), revocationLagBucket: [1] }]])('refuses %p with a TypeError', (options) => {
    expect(() => openTelemetryHooks(options as never)).toThrow(TypeError);
  });

  test('names follow OTEL_METRIC_NAMES', () => {
    const memory = new MemoryMeter();
    openTelemetryHooks({ meter: memory.meter() });
    expect([...memory.values.keys()].sort()).toEqual(Object.values(OTEL_METRIC_NAMES).map((name) => `sockauth.${name}`).sort());
  });
});
