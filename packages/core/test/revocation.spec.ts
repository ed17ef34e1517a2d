import { MemoryRevocationStore, parseRevocationTarget, revocationApplies, revokeTarget } from '../src/index.js';
import type { RevocationRecord, RevocationStore, RevocationSubject, RevocationTarget } from '../src/index.js';
import { NOW_MS } from './support.js';

const HOUR = 3_600_000;

function subject(extra: Partial<RevocationSubject> = {}): RevocationSubject {
  return { subject: 'alice', sessionId: 's1', tokenId: 'j1', issuedAt: NOW_MS - HOUR, expiresAt: NOW_MS + HOUR, ...extra };
}

describe('MemoryRevocationStore', () => {
  let clock: number;
  let store: MemoryRevocationStore;

  beforeEach(() => {
    clock = NOW_MS;
    store = new MemoryRevocationStore({ now: () => clock, retentionSec: 86_400 });
  });

  afterEach(async () => {
    await store.close();
  });

  it('reports nothing revoked when empty', async () => {
    expect(store.size).toBe(0);
    await expect(store.isRevoked(subject())).resolves.toBe(false);
  });

  describe('token revocation', () => {
    it('revokes the token id until the given time', async () => {
      const record = await store.revokeToken('j1', NOW_MS + HOUR);
      expect(record).toEqual({ kind: 'token', id: 'j1', since: NOW_MS, until: NOW_MS + HOUR });
      expect(Object.isFrozen(record)).toBe(true);
      await expect(store.isRevoked(subject())).resolves.toBe(true);
      await expect(store.isRevoked(subject({ tokenId: 'j2' }))).resolves.toBe(false);
      await expect(store.isRevoked(subject({ tokenId: undefined }))).resolves.toBe(false);
      clock = NOW_MS + HOUR - 1;
      await expect(store.isRevoked(subject())).resolves.toBe(true);
      clock = NOW_MS + HOUR;
      await expect(store.isRevoked(subject())).resolves.toBe(false);
    });

    it('keeps a token revocation for the retention when its exp is unknown', async () => {
      const record = await store.revokeToken('j1', Number.NaN);
      expect(record.until).toBe(NOW_MS + 86_400_000);
    });
  });

  describe('subject revocation', () => {
    it('revokes tokens issued at or before since, not later ones', async () => {
      await store.revokeSubject('alice');
      await expect(store.isRevoked(subject({ issuedAt: NOW_MS - 1 }))).resolves.toBe(true);
      await expect(store.isRevoked(subject({ issuedAt: NOW_MS }))).resolves.toBe(true);
      await expect(store.isRevoked(subject({ issuedAt: NOW_MS + 1000 }))).resolves.toBe(false);
      await expect(store.isRevoked(subject({ issuedAt: undefined }))).resolves.toBe(true);
      await expect(store.isRevoked(subject({ subject: 'bob' }))).resolves.toBe(false);
    });

    it('accepts an explicit since', async () => {
      const record = await store.revokeSubject('alice', NOW_MS - 2 * HOUR);
      expect(record).toEqual({ kind: 'subject', id: 'alice', since: NOW_MS - 2 * HOUR, until: NOW_MS + 86_400_000 });
      await expect(store.isRevoked(subject({ issuedAt: NOW_MS - HOUR }))).resolves.toBe(false);
      await expect(store.isRevoked(subject({ issuedAt: NOW_MS - 3 * HOUR }))).resolves.toBe(true);
    });

    it('keeps the widest record when a subject is revoked twice', async () => {
      await store.revokeSubject('alice', NOW_MS);
      await store.revokeSubject('alice', NOW_MS - 2 * HOUR);
      // The earlier second revocation must not un-revoke tokens covered by the first.
      await expect(store.isRevoked(subject({ issuedAt: NOW_MS - HOUR }))).resolves.toBe(true);
      expect(store.size).toBe(1);
    });

    it('forgets a subject revocation after the retention', async () => {
      await store.revokeSubject('alice');
      clock = NOW_MS + 86_400_000;
      await expect(store.isRevoked(subject())).resolves.toBe(false);
    });
  });

  describe('session revocation', () => {
    it('revokes every token of the session', async () => {
      await store.revokeSession('s1');
      await expect(store.isRevoked(subject({ tokenId: 'other', issuedAt: NOW_MS + 5000 }))).resolves.toBe(true);
      await expect(store.isRevoked(subject({ sessionId: 's2' }))).resolves.toBe(false);
      await expect(store.isRevoked(subject({ sessionId: undefined }))).resolves.toBe(false);
    });
  });

  it('refuses an empty id', async () => {
    await expect(store.revokeToken('', NOW_MS + HOUR)).rejects.toThrow(TypeError);
    await expect(store.revokeSubject('')).rejects.toThrow(TypeError);
    await expect(store.revokeSession('')).rejects.toThrow(TypeError);
    expect(store.size).toBe(0);
  });

  it.each([[0], [-1], [Number.NaN], [Number.POSITIVE_INFINITY], ['60']])('refuses retentionSec %p', (retentionSec) => {
    expect(() => new MemoryRevocationStore({ retentionSec: retentionSec as number })).toThrow(TypeError);
  });

  it('uses Date.now and a 24 h retention by default', async () => {
    const defaults = new MemoryRevocationStore();
    const before = Date.now();
    const record = await defaults.revokeSession('s1');
    expect(record.since).toBeGreaterThanOrEqual(before);
    expect(record.until - record.since).toBe(86_400_000);
  });

  describe('bounded memory', () => {
    it('sweeps expired records as new ones are written', async () => {
      for (let i = 0; i < 255; i++) await store.revokeToken(`expired-${i}`, NOW_MS + 1000);
      expect(store.size).toBe(255);
      clock = NOW_MS + 2000;
      // The 256th write triggers a sweep: every expired record goes, the live one stays.
      await store.revokeToken('live', NOW_MS + HOUR);
      expect(store.size).toBe(1);
    });

    it('stays bounded under many writes of short-lived records', async () => {
      for (let i = 0; i < 10_000; i++) {
        clock = NOW_MS + i;
        await store.revokeToken(`t-${i}`, clock + 1);
      }
      expect(store.size).toBeLessThanOrEqual(256);
    });

    it('drops only expired records on an explicit sweep', async () => {
      await store.revokeToken('short', NOW_MS + 1000);
      await store.revokeToken('long', NOW_MS + HOUR);
      await store.revokeSubject('alice');
      await store.revokeSession('s1');
      clock = NOW_MS + 1000;
      store.sweep();
      expect(store.size).toBe(3);
      clock = NOW_MS + 86_400_000;
      store.sweep();
      expect(store.size).toBe(0);
    });
  });

  describe('listeners', () => {
    it('calls every listener with each record, until unsubscribed', async () => {
      const first = jest.fn();
      const second = jest.fn();
      const unsubscribe = store.subscribe(first);
      store.subscribe(second);
      const record = await store.revokeSession('s1');
      expect(first).toHaveBeenCalledWith(record);
      expect(second).toHaveBeenCalledWith(record);
      unsubscribe();
      await store.revokeSubject('alice');
      expect(first).toHaveBeenCalledTimes(1);
      expect(second).toHaveBeenCalledTimes(2);
    });

    it('keeps calling other listeners when one throws', async () => {
      const calls: string[] = [];
      store.subscribe(() => {
        calls.push('throwing');
        throw new Error('listener failed');
      });
      store.subscribe(() => calls.push('after'));
      await expect(store.revokeToken('j1', NOW_MS + HOUR)).resolves.toBeDefined();
      expect(calls).toEqual(['throwing', 'after']);
      await expect(store.isRevoked(subject())).resolves.toBe(true);
    });

    it('does not call listeners for remembered remote records', () => {
      const listener = jest.fn();
      store.subscribe(listener);
      store.remember({ kind: 'session', id: 's9', since: NOW_MS, until: NOW_MS + HOUR });
      expect(listener).not.toHaveBeenCalled();
      expect(store.size).toBe(1);
    });

    it('drops listeners on close', async () => {
      const listener = jest.fn();
      store.subscribe(listener);
      await store.close();
      await store.revokeSession('s1');
      expect(listener).not.toHaveBeenCalled();
    });
  });

  it('applies records remembered from another node', async () => {
    store.remember({ kind: 'token', id: 'j1', since: NOW_MS, until: NOW_MS + HOUR });
    await expect(store.isRevoked(subject())).resolves.toBe(true);
  });
});

describe('revocationApplies', () => {
  const base = { since: NOW_MS, until: NOW_MS + HOUR };

  it('matches token and session records by id only', () => {
    expect(revocationApplies({ kind: 'token', id: 'j1', ...base }, subject())).toBe(true);
    expect(revocationApplies({ kind: 'token', id: 'j2', ...base }, subject())).toBe(false);
    expect(revocationApplies({ kind: 'session', id: 's1', ...base }, subject({ issuedAt: NOW_MS + HOUR }))).toBe(true);
    expect(revocationApplies({ kind: 'session', id: 's2', ...base }, subject())).toBe(false);
  });

  it('matches subject records for tokens issued at or before since', () => {
    const record: RevocationRecord = { kind: 'subject', id: 'alice', ...base };
    expect(revocationApplies(record, subject({ issuedAt: NOW_MS }))).toBe(true);
    expect(revocationApplies(record, subject({ issuedAt: NOW_MS + 1 }))).toBe(false);
    expect(revocationApplies(record, subject({ subject: 'bob', issuedAt: NOW_MS - 1 }))).toBe(false);
  });
});

describe('parseRevocationTarget', () => {
  it('returns the kind and id of exactly one target', () => {
    expect(parseRevocationTarget({ subject: 'alice' })).toEqual({ kind: 'subject', id: 'alice' });
    expect(parseRevocationTarget({ sessionId: 's1' })).toEqual({ kind: 'session', id: 's1' });
    expect(parseRevocationTarget({ tokenId: 'j1' })).toEqual({ kind: 'token', id: 'j1' });
    expect(parseRevocationTarget({ tokenId: 'j1', subject: undefined })).toEqual({ kind: 'token', id: 'j1' });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'alice'],
    ['an empty object', {}],
    ['two targets', { subject: 'alice', tokenId: 'j1' }],
    ['three targets', { subject: 'a', sessionId: 's', tokenId: 't' }],
    ['an empty id', { subject: '' }],
    ['a numeric id', { tokenId: 42 }],
    ['an id over 1024 characters', { sessionId: 's'.repeat(1025) }],
  ])('throws a TypeError for %s', (_, target) => {
    expect(() => parseRevocationTarget(target)).toThrow(TypeError);
  });

  it('accepts an id of exactly 1024 characters', () => {
    expect(parseRevocationTarget({ sessionId: 's'.repeat(1024) }).id).toHaveLength(1024);
  });
});

describe('revokeTarget', () => {
  let store: MemoryRevocationStore;

  beforeEach(() => {
    store = new MemoryRevocationStore({ now: () => NOW_MS });
  });

  it('revokes a subject, a session or a token through the store', async () => {
    expect(await revokeTarget(store, { subject: 'alice' })).toMatchObject({ kind: 'subject', id: 'alice' });
    expect(await revokeTarget(store, { sessionId: 's1' })).toMatchObject({ kind: 'session', id: 's1' });
    expect(await revokeTarget(store, { tokenId: 'j1' }, NOW_MS + HOUR)).toEqual({
      kind: 'token',
      id: 'j1',
      since: NOW_MS,
      until: NOW_MS + HOUR,
    });
    expect(store.size).toBe(3);
  });

  it("falls back to the store's retention for a token without a known exp", async () => {
    const record = await revokeTarget(store, { tokenId: 'j1' });
    expect(record.until).toBe(NOW_MS + 86_400_000);
  });

  it('rejects an invalid target without touching the store', async () => {
    const spy: RevocationStore = {
      revokeToken: jest.fn(),
      revokeSubject: jest.fn(),
      revokeSession: jest.fn(),
      isRevoked: jest.fn(),
      subscribe: jest.fn(),
    };
    const twoTargets = { subject: 'alice', sessionId: 's1' } as unknown as RevocationTarget;
    await expect(revokeTarget(spy, twoTargets)).rejects.toThrow(TypeError);
    await expect(revokeTarget(spy, { tokenId: '' })).rejects.toThrow(TypeError);
    expect(spy.revokeSubject).not.toHaveBeenCalled();
    expect(spy.revokeSession).not.toHaveBeenCalled();
    expect(spy.revokeToken).not.toHaveBeenCalled();
  });
});

describe('MemoryRevocationStore re-evaluation requests', () => {
  it('runs every local handler with the target and sums their counts (one node)', async () => {
    const store = new MemoryRevocationStore();
    const targets: unknown[] = [];
    store.onReevaluation(async (target) => (targets.push(target), 2));
    const off = store.onReevaluation(async () => 3);
    await expect(store.requestReevaluation({ subject: 'alice' })).resolves.toEqual({ affected: 5, nodes: 1 });
    expect(targets).toEqual([{ subject: 'alice' }]);
    off();
    await expect(store.requestReevaluation({ sessionId: 's' })).resolves.toEqual({ affected: 2, nodes: 1 });
  });

  it('counts a throwing handler as 0, stops waiting at the timeout, and validates its input', async () => {
    const store = new MemoryRevocationStore();
    store.onReevaluation(async () => {
      throw new Error('boom');
    });
    store.onReevaluation(() => new Promise<number>(() => undefined));
    store.onReevaluation(async () => 1);
    await expect(store.requestReevaluation({ tokenId: 'j' }, { timeoutMs: 50 })).resolves.toEqual({ affected: 1, nodes: 1 });
    await expect(store.requestReevaluation({} as never)).rejects.toThrow(TypeError);
    await expect(store.requestReevaluation({ subject: 'a' }, { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    expect(() => store.onReevaluation(1 as never)).toThrow(TypeError);
  });

  it('forgets its handlers on close', async () => {
    const store = new MemoryRevocationStore();
    const handler = jest.fn(async () => 1);
    store.onReevaluation(handler);
    await store.close();
    await expect(store.requestReevaluation({ subject: 'alice' })).resolves.toEqual({ affected: 0, nodes: 1 });
    expect(handler).not.toHaveBeenCalled();
  });
});
