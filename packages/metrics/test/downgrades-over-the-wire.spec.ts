/**
 * Downgraded sessions over the wire, on Socket.IO, NestJS (Socket.IO platform) and plain WebSockets: a socket in no
 * room whose re-auth drops a permission, or whose re-evaluation under a live restriction does, gets exactly one
 * `onDowngrade` call with what it lost (wildcards matched, reason `reauth` / `reevaluate`), and
 * `sockauth_session_downgrades_total` counts it; an equal or a wider re-auth, and a re-evaluation that changes
 * nothing, call nothing.
 */
import client, { Registry } from 'prom-client';
import { defaultMapClaims, type DowngradeInfo, type SessionHooks } from '@sockauth/core';
import { combineHooks, prometheusHooks } from '@sockauth/metrics';
import type { JWTPayload } from 'jose';
import { ADAPTERS } from '../../../test/support/adapters';
import { claimsFor, nowSec, signHs } from '../../../test/support/hostile-tokens';
import { useHarness } from '../../../test/security/harness';
import { mint } from '../../../test/support/tokens';
import { connectWs, startWsServer } from '../../ws/test/support';

/** The value of one sample line of the Prometheus text format (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/**
 * Recording hooks and a Prometheus registry, and a claims mapper that withholds the permissions `restricted`
 * lists for a subject (a live restriction that `reevaluate` applies).
 */
function observed() {
  const calls: DowngradeInfo[] = [];
  const registry = new Registry();
  const restricted = new Map<string, string[]>();
  const hooks: SessionHooks = combineHooks(prometheusHooks({ client, registry }), { onDowngrade: (info) => void calls.push(info) });
  const mapClaims = (claims: JWTPayload) => {
    const identity = defaultMapClaims(claims);
    const deny = restricted.get(identity.subject) ?? [];
    return { ...identity, permissions: [...(identity.permissions ?? [])].filter((p) => !deny.includes(p)) };
  };
  const counted = async (reason: string) => sample(await registry.metrics(), `sockauth_session_downgrades_total{reason="${reason}"}`);
  return { calls, hooks, mapClaims, restricted, counted };
}

/** Scopes of successive tokens: equal, wider (a wildcard), then narrower; each a second newer than the last. */
const GRANTED = 'chat:read chat:write admin:*';
const EQUAL = 'admin:* chat:write chat:read';
const WIDER = 'chat:* admin:*';
const NARROWER = 'chat:read';

const h = useHarness();

describe.each(ADAPTERS)('%s: onDowngrade and sockauth_session_downgrades_total', (_name, start) => {
  test('a re-auth that drops permissions (no room) fires once with what was lost; equal or wider ones fire nothing', async () => {
    const o = observed();
    const server = await h.start(start, { auth: { hooks: combineHooks(h.log.hooks(), o.hooks), mapClaims: o.mapClaims } });
    const T = nowSec();
    const token = async (scope: string, age: number) => h.secret(await signHs(h.keys, claimsFor('alice', { sid: 's-1', jti: `j-${age}`, scope, iat: T - age })));
    const alice = await h.connect(server.url, { auth: { token: await token(GRANTED, 10) } });

    await expect(h.ack(alice, 'auth:refresh', { token: await token(EQUAL, 9) })).resolves.toMatchObject({ ok: true, version: 2 });
    await expect(h.ack(alice, 'auth:refresh', { token: await token(WIDER, 8) })).resolves.toMatchObject({ ok: true, version: 3 });
    expect(o.calls).toEqual([]);

    await expect(h.ack(alice, 'auth:refresh', { token: await token(NARROWER, 7) })).resolves.toMatchObject({ ok: true, version: 4 });
    expect(o.calls).toEqual([
      { socketId: alice.id, namespace: '/', subject: 'alice', sessionId: 's-1', tokenId: 'j-7', reason: 'reauth', lost: ['admin:*', 'chat:*'], version: 4 },
    ]);
    expect(await o.counted('reauth')).toBe(1);
    expect(await o.counted('reevaluate')).toBe(0);
  });

  test('reevaluate under a live restriction fires with reason reevaluate; one that changes nothing fires nothing', async () => {
    const o = observed();
    const server = await h.start(start, { auth: { hooks: combineHooks(h.log.hooks(), o.hooks), mapClaims: o.mapClaims } });
    const alice = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice', { scope: GRANTED }))) } });

    await expect(server.sockAuth.reevaluate({ subject: 'alice' })).resolves.toEqual({ affected: 1 });
    expect(o.calls).toEqual([]);
    o.restricted.set('alice', ['chat:write', 'admin:*']);
    await expect(server.sockAuth.reevaluate({ subject: 'alice' })).resolves.toEqual({ affected: 1 });
    expect(o.calls).toEqual([{ socketId: alice.id, namespace: '/', subject: 'alice', reason: 'reevaluate', lost: ['admin:*', 'chat:write'], version: 1 }]);
    expect(await o.counted('reevaluate')).toBe(1);
    expect(await o.counted('reauth')).toBe(0);
  });
});

describe('ws: onDowngrade and sockauth_session_downgrades_total', () => {
  test('a narrower re-auth and a restriction each fire once; an equal and a wider re-auth fire nothing', async () => {
    const o = observed();
    const server = await startWsServer({ hooks: o.hooks, mapClaims: o.mapClaims });
    const T = nowSec();
    const token = (scope: string, age: number) => mint({ sub: 'alice', jti: `j-${age}`, scope }, { iat: T - age });
    const alice = await connectWs(server.url, await token(GRANTED, 10));

    await expect(alice.request('auth:refresh', { token: await token(EQUAL, 9) })).resolves.toMatchObject({ ok: true, version: 2 });
    await expect(alice.request('auth:refresh', { token: await token(WIDER, 8) })).resolves.toMatchObject({ ok: true, version: 3 });
    expect(o.calls).toEqual([]);
    await expect(alice.request('auth:refresh', { token: await token('chat:read chat:write', 7) })).resolves.toMatchObject({ ok: true, version: 4 });
    expect(o.calls).toEqual([
      { socketId: expect.any(String), namespace: '/ws', subject: 'alice', tokenId: 'j-7', reason: 'reauth', lost: ['admin:*', 'chat:*'], version: 4 },
    ]);

    o.restricted.set('alice', ['chat:write']);
    await expect(server.wsAuth.reevaluate({ subject: 'alice' })).resolves.toEqual({ affected: 1 });
    expect(o.calls.slice(1)).toEqual([
      { socketId: o.calls[0]!.socketId, namespace: '/ws', subject: 'alice', tokenId: 'j-7', reason: 'reevaluate', lost: ['chat:write'], version: 4 },
    ]);
    expect(await o.counted('reauth')).toBe(1);
    expect(await o.counted('reevaluate')).toBe(1);
  });
});
