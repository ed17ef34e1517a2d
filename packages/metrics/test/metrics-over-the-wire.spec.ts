/**
 * @sockauth/metrics over the wire, against both adapters: a session with refused and accepted handshakes, a
 * refused event, accepted and refused re-auths, a revocation and an expiry moves the Prometheus counters (real
 * prom-client registry) and the OpenTelemetry instruments (the API with an in-memory meter) exactly; the live
 * gauge goes back to zero; and with no hook installed, nothing is timed at all.
 */
import client, { Registry } from 'prom-client';
import { combineHooks, openTelemetryHooks, prometheusHooks } from '@sockauth/metrics';
import type { SockAuthHooks } from '@sockauth/socket.io';
import { MemoryMeter } from './memory-meter';
import { ADAPTERS, type AdapterFactory, type AdapterServer } from '../../../test/support/adapters';
import { nextEvent, type ClientSocket } from '../../../test/support/clients';
import { claimsFor, hsVerifier, nowSec, signHs } from '../../../test/support/hostile-tokens';
import { useHarness } from '../../../test/security/harness';

const h = useHarness();

/** The value of one sample line of the Prometheus text format (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Runs the same session on a server with `hooks`; resolves once every socket is gone. */
async function session(start: AdapterFactory, hooks: SockAuthHooks): Promise<AdapterServer> {
  const server = await h.start(start, {
    auth: { verifier: hsVerifier(h.keys, { clockToleranceSec: 0 }), warnBeforeSec: 0, hooks: combineHooks(hooks, h.log.hooks()) },
  });
  const T = nowSec();
  const token = async (sub: string, extra = {}, secret?: string) =>
    h.secret(await signHs(h.keys, claimsFor(sub, { iat: T - 10, ...extra }), secret === undefined ? {} : { secret }));

  await h.refused(server.url, { auth: { token: await token('mallory', {}, h.keys.attackerSecret) } });
  await h.refused(server.url);
  const alice = await h.connect(server.url, { auth: { token: await token('alice', { scope: 'chat:read' }) } });
  const bob = await h.connect(`${server.url}/admin`, { auth: { token: await token('bob') } });
  await h.ack(alice, 'chat:send', {});
  // A second newer than the token in force: a token of the same iat may not grant more (chat:write).
  await h.ack(alice, 'auth:refresh', { token: await token('alice', { scope: 'chat:write', iat: T - 9 }) });
  await h.ack(alice, 'auth:refresh', { token: await token('bob') });
  const bobGone = nextEvent(bob, 'disconnect');
  await server.sockAuth.revoke({ subject: 'bob' });
  await bobGone;
  const erin: ClientSocket = await h.connect(server.url, { auth: { token: await token('erin', { exp: Math.ceil((Date.now() + 500) / 1000) }) } });
  await nextEvent(erin, 'disconnect');
  alice.disconnect();
  // The server sees alice leave asynchronously: wait until nobody is authenticated any more.
  while (server.sockAuth.size > 0) await new Promise((resolve) => setImmediate(resolve));
  return server;
}

describe.each(ADAPTERS)('%s: metrics over the wire', (_name, start) => {
  test('Prometheus: counters, the live gauge and the latency histogram move exactly', async () => {
    const registry = new Registry();
    await session(start, prometheusHooks({ client, registry }));
    const text = await registry.metrics();
    expect(sample(text, 'sockauth_handshakes_total{stage="handshake",outcome="accepted"}')).toBe(3);
    expect(sample(text, 'sockauth_handshakes_total{stage="handshake",outcome="refused",code="AUTH_INVALID"}')).toBe(1);
    expect(sample(text, 'sockauth_handshakes_total{stage="handshake",outcome="refused",code="AUTH_MISSING"}')).toBe(1);
    expect(sample(text, 'sockauth_event_refusals_total{code="AUTH_FORBIDDEN"}')).toBe(1);
    expect(sample(text, 'sockauth_reauths_total{outcome="accepted"}')).toBe(1);
    expect(sample(text, 'sockauth_reauths_total{outcome="refused",code="AUTH_IDENTITY_MISMATCH"}')).toBe(1);
    expect(sample(text, 'sockauth_revocations_total{kind="subject"}')).toBe(1);
    // The cut happens on the node that recorded the revocation: its lag is well under a second.
    expect(sample(text, 'sockauth_revocation_lag_seconds_count{kind="subject"}')).toBe(1);
    expect(sample(text, 'sockauth_revocation_lag_seconds_bucket{le="1",kind="subject"}')).toBe(1);
    expect(sample(text, 'sockauth_expiries_total')).toBe(1);
    expect(sample(text, 'sockauth_authenticated_sockets')).toBe(0);
    // Verified: mallory (refused), alice, bob, erin at the handshake; two re-auths. No token, no verification.
    expect(sample(text, 'sockauth_verify_duration_seconds_count{stage="handshake",outcome="accepted"}')).toBe(3);
    expect(sample(text, 'sockauth_verify_duration_seconds_count{stage="handshake",outcome="refused"}')).toBe(1);
    expect(sample(text, 'sockauth_verify_duration_seconds_count{stage="reauth",outcome="accepted"}')).toBe(1);
    expect(sample(text, 'sockauth_verify_duration_seconds_count{stage="reauth",outcome="refused"}')).toBe(1);
    expect(sample(text, 'sockauth_verify_duration_seconds_sum{stage="handshake",outcome="accepted"}')).toBeGreaterThan(0);
  }, 10_000);

  test('OpenTelemetry: the same session through the API with an in-memory meter', async () => {
    const memory = new MemoryMeter();
    await session(start, openTelemetryHooks({ meter: memory.meter() }));
    expect(memory.sum('sockauth.handshakes', { outcome: 'accepted' })).toBe(3);
    expect(memory.sum('sockauth.handshakes', { outcome: 'refused' })).toBe(2);
    expect(memory.sum('sockauth.event_refusals', { code: 'AUTH_FORBIDDEN' })).toBe(1);
    expect(memory.sum('sockauth.reauths', { outcome: 'accepted' })).toBe(1);
    expect(memory.sum('sockauth.reauths', { outcome: 'refused', code: 'AUTH_IDENTITY_MISMATCH' })).toBe(1);
    expect(memory.sum('sockauth.revocations', { kind: 'subject' })).toBe(1);
    expect(memory.count('sockauth.revocation.lag')).toBe(1);
    expect(memory.sum('sockauth.revocation.lag', { kind: 'subject' })).toBeLessThan(1);
    expect(memory.sum('sockauth.expiries')).toBe(1);
    expect(memory.sum('sockauth.authenticated_sockets')).toBe(0);
    expect(memory.count('sockauth.authenticated_sockets')).toBe(6);
    expect(memory.count('sockauth.verify.duration')).toBe(6);
  }, 10_000);

  test('zero cost when off: without an onVerify hook nothing reads the clock; with one, every verification is timed', async () => {
    // Started first: frameworks may time their own start-up.
    const quiet = await h.start(start, { auth: { hooks: {}, logger: undefined } });
    const durations: number[] = [];
    const timed = await h.start(start, { auth: { hooks: { onVerify: (info) => void durations.push(info.durationMs) } } });
    const spy = jest.spyOn(performance, 'now');
    try {
      const socket = await h.connect(quiet.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice'))) } });
      await h.ack(socket, 'auth:refresh', { token: h.secret(await signHs(h.keys, claimsFor('alice'))) });
      await h.ack(socket, 'whoami');
      expect(spy).not.toHaveBeenCalled();

      const other = await h.connect(timed.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('bob'))) } });
      await h.ack(other, 'auth:refresh', { token: h.secret(await signHs(h.keys, claimsFor('bob'))) });
      expect(durations).toHaveLength(2);
      expect(durations.every((d) => d >= 0 && d < 5_000)).toBe(true);
      expect(spy).toHaveBeenCalledTimes(4);
    } finally {
      spy.mockRestore();
    }
  });
});
