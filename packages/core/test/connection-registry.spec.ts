import { ConnectionRegistry, createAuthContext } from '../src/index.js';
import type { AuthContext, RevocationRecord } from '../src/index.js';
import type { JWTPayload } from 'jose';
import { NOW_MS, NOW_SEC, claims } from './support.js';

function ctx(extra: JWTPayload = {}): AuthContext {
  return createAuthContext(claims(extra));
}

function record(kind: RevocationRecord['kind'], id: string, since = NOW_MS): RevocationRecord {
  return { kind, id, since, until: NOW_MS + 86_400_000 };
}

interface Conn {
  readonly name: string;
}

describe('ConnectionRegistry', () => {
  let registry: ConnectionRegistry<Conn>;
  const a: Conn = { name: 'a' };
  const b: Conn = { name: 'b' };
  const c: Conn = { name: 'c' };

  beforeEach(() => {
    registry = new ConnectionRegistry<Conn>();
  });

  it('registers connections with their contexts', () => {
    const context = ctx({ sid: 's1', jti: 'j1' });
    registry.set(a, context);
    expect(registry.size).toBe(1);
    expect(registry.get(a)).toBe(context);
    expect(registry.get(b)).toBeUndefined();
    expect([...registry.connections()]).toEqual([a]);
  });

  it('finds connections by subject, session and token id', () => {
    registry.set(a, ctx({ sub: 'alice', sid: 's1', jti: 'j1' }));
    registry.set(b, ctx({ sub: 'alice', sid: 's2', jti: 'j2' }));
    registry.set(c, ctx({ sub: 'bob', sid: 's3', jti: 'j3' }));
    expect(registry.match(record('subject', 'alice'))).toEqual([a, b]);
    expect(registry.match(record('subject', 'bob'))).toEqual([c]);
    expect(registry.match(record('session', 's2'))).toEqual([b]);
    expect(registry.match(record('token', 'j3'))).toEqual([c]);
    expect(registry.match(record('token', 'nope'))).toEqual([]);
    expect(registry.match(record('subject', 'carol'))).toEqual([]);
  });

  it('keeps finding every connection as an id goes from one connection to several and back', () => {
    registry.set(a, ctx({ sub: 'alice' }));
    registry.set(b, ctx({ sub: 'alice' }));
    registry.set(c, ctx({ sub: 'alice' }));
    expect(registry.match(record('subject', 'alice'))).toEqual([a, b, c]);
    registry.delete(b);
    registry.delete(c);
    expect(registry.match(record('subject', 'alice'))).toEqual([a]);
    registry.set(b, ctx({ sub: 'alice' }));
    expect(registry.match(record('subject', 'alice'))).toEqual([a, b]);
    registry.delete(a);
    registry.delete(b);
    expect(registry.match(record('subject', 'alice'))).toEqual([]);
    expect(registry.size).toBe(0);
  });

  it('indexes a connection that is itself a Set without confusing it with several connections', () => {
    const setLike = new Set(['not', 'connections']);
    const sets = new ConnectionRegistry<Set<string>>();
    sets.set(setLike, ctx({ sub: 'alice' }));
    expect(sets.match(record('subject', 'alice'))).toEqual([setLike]);
  });

  it('does not index absent session or token ids', () => {
    registry.set(a, ctx());
    expect(registry.match(record('session', 'undefined'))).toEqual([]);
    expect(registry.match(record('token', 'undefined'))).toEqual([]);
    expect(registry.match(record('subject', 'alice'))).toEqual([a]);
  });

  it('replaces the old indexes when a connection is set again after a re-auth', () => {
    registry.set(a, ctx({ sid: 's1', jti: 'j1' }));
    const next = ctx({ sid: 's1', jti: 'j2' });
    registry.set(a, next);
    expect(registry.size).toBe(1);
    expect(registry.get(a)).toBe(next);
    expect(registry.match(record('token', 'j1'))).toEqual([]);
    expect(registry.match(record('token', 'j2'))).toEqual([a]);
    expect(registry.match(record('session', 's1'))).toEqual([a]);
    expect(registry.match(record('subject', 'alice'))).toEqual([a]);
  });

  it('matches a subject revocation only for tokens issued at or before since', () => {
    registry.set(a, ctx({ iat: NOW_SEC - 60 }));
    registry.set(b, ctx({ iat: NOW_SEC }));
    registry.set(c, ctx({ iat: NOW_SEC + 1 }));
    expect(registry.match(record('subject', 'alice', NOW_MS))).toEqual([a, b]);
  });

  it('counts a token without iat as issued before any subject revocation', () => {
    const { iat: _iat, ...noIat } = claims();
    registry.set(a, createAuthContext(noIat));
    expect(registry.match(record('subject', 'alice', 0))).toEqual([a]);
  });

  it('stops matching a connection re-authenticated with a token issued after a subject revocation', () => {
    registry.set(a, ctx({ iat: NOW_SEC - 60 }));
    const revocation = record('subject', 'alice', NOW_MS - 30_000);
    expect(registry.match(revocation)).toEqual([a]);
    registry.set(a, ctx({ iat: NOW_SEC }));
    expect(registry.match(revocation)).toEqual([]);
  });

  it('removes a connection from every index on delete, idempotently', () => {
    registry.set(a, ctx({ sid: 's1', jti: 'j1' }));
    registry.set(b, ctx({ sid: 's1', jti: 'j2' }));
    registry.delete(a);
    registry.delete(a);
    registry.delete(c);
    expect(registry.size).toBe(1);
    expect(registry.get(a)).toBeUndefined();
    expect(registry.match(record('token', 'j1'))).toEqual([]);
    expect(registry.match(record('session', 's1'))).toEqual([b]);
    expect(registry.match(record('subject', 'alice'))).toEqual([b]);
    registry.delete(b);
    expect(registry.size).toBe(0);
    expect(registry.match(record('session', 's1'))).toEqual([]);
    expect(registry.match(record('subject', 'alice'))).toEqual([]);
    expect([...registry.connections()]).toEqual([]);
  });

  it('replaces a context of the same identity in place: the indexes stay, the new context is the one found', () => {
    registry.set(a, ctx({ sid: 's1', jti: 'j1', scope: 'chat:read' }));
    registry.set(b, ctx({ sid: 's2', jti: 'j2' }));
    const remapped = ctx({ sid: 's1', jti: 'j1' });
    registry.set(a, remapped);
    expect(registry.get(a)).toBe(remapped);
    expect(registry.size).toBe(2);
    expect(registry.match(record('token', 'j1'))).toEqual([a]);
    expect(registry.match(record('session', 's1'))).toEqual([a]);
    expect(registry.match(record('subject', 'alice'))).toEqual([a, b]);
    // Another token id re-indexes: the old id no longer finds it.
    registry.set(a, ctx({ sid: 's1', jti: 'j3' }));
    expect(registry.match(record('token', 'j1'))).toEqual([]);
    expect(registry.match(record('token', 'j3'))).toEqual([a]);
  });

  it('collects the connections of an id once each, whatever their iat (a re-evaluation)', () => {
    registry.set(a, ctx({ sub: 'alice', sid: 's1', iat: NOW_SEC + 60 }));
    registry.set(b, ctx({ sub: 'alice', sid: 's2' }));
    registry.set(c, ctx({ sub: 'bob', sid: 's1' }));
    const seen = new Set<Conn>();
    const into: Conn[] = [];
    registry.collect('subject', 'alice', seen, into);
    registry.collect('session', 's1', seen, into);
    registry.collect('subject', 'alice', seen, into);
    registry.collect('token', 'nope', seen, into);
    expect(into).toEqual([a, b, c]);
    expect([...seen]).toEqual([a, b, c]);
  });

  it('uses the indexes instead of scanning every connection', () => {
    for (let i = 0; i < 1000; i++) registry.set({ name: `n${i}` }, ctx({ sub: `user-${i}`, jti: `j${i}` }));
    const get = jest.spyOn(Map.prototype, 'get');
    let matches: Conn[];
    let lookups: number;
    try {
      matches = registry.match(record('token', 'j500'));
      lookups = get.mock.calls.length;
    } finally {
      get.mockRestore();
    }
    expect(matches).toHaveLength(1);
    // One index lookup plus one context lookup per candidate, however many connections there are.
    expect(lookups).toBeLessThanOrEqual(3);
  });
});
