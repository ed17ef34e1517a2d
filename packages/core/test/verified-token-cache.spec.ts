import fc from 'fast-check';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import {
  DEFAULT_CACHE_MAX_AGE_SEC,
  DEFAULT_CACHE_MAX_ENTRIES,
  createVerifier,
  isAuthError,
  type AuthError,
  type Verifier,
  type VerifierOptions,
} from '../src/index.js';
import {
  VerifiedTokenCache,
  deepFreeze,
  resolveCacheOptions,
  tokenDigest,
} from '../src/verified-token-cache.js';
import { recheckTimeClaims } from '../src/claim-checks.js';
import { verifierPayloadsAreFresh } from '../src/verifier.js';
import { NOW_MS, NOW_SEC, SECRET, SECRET_BYTES, claims, rejectionOf, sign } from './support.js';

function hsVerifier(extra: Partial<VerifierOptions> = {}, now: () => number = () => NOW_MS): Verifier {
  return createVerifier({ algorithms: ['HS256'], secret: SECRET, now, ...extra });
}

async function failure(verifier: Verifier, token: unknown): Promise<AuthError> {
  const error = await rejectionOf(verifier.verify(token));
  if (!isAuthError(error)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error;
}

describe('cache configuration', () => {
  it('is on by default with the documented bounds', () => {
    expect(DEFAULT_CACHE_MAX_ENTRIES).toBe(10_000);
    expect(DEFAULT_CACHE_MAX_AGE_SEC).toBe(300);
    expect(resolveCacheOptions(undefined)).toEqual({ maxEntries: 10_000, maxAgeMs: 300_000 });
    expect(resolveCacheOptions({})).toEqual({ maxEntries: 10_000, maxAgeMs: 300_000 });
    expect(resolveCacheOptions({ maxEntries: 1, maxAgeSec: 0.5 })).toEqual({ maxEntries: 1, maxAgeMs: 500 });
    expect(resolveCacheOptions(false)).toBeUndefined();
  });

  it.each([
    ['true', true],
    ['null', null],
    ['a number', 100],
    ['an array', []],
    ['a misspelt option', { maxAge: 60 }],
    ['maxEntries 0', { maxEntries: 0 }],
    ['maxEntries fractional', { maxEntries: 1.5 }],
    ['maxEntries too large', { maxEntries: 1_000_001 }],
    ['maxEntries a string', { maxEntries: '100' }],
    ['maxAgeSec 0', { maxAgeSec: 0 }],
    ['maxAgeSec negative', { maxAgeSec: -1 }],
    ['maxAgeSec over an hour', { maxAgeSec: 3601 }],
    ['maxAgeSec Infinity', { maxAgeSec: Infinity }],
    ['maxAgeSec NaN', { maxAgeSec: NaN }],
  ])('refuses cache = %s with a TypeError at configuration time', (_name, cache) => {
    expect(() => hsVerifier({ cache: cache as never })).toThrow(TypeError);
  });

  it('refuses a cache with a custom verify, and accepts cache: false with it', () => {
    const verify = (): JWTPayload => claims();
    expect(() => createVerifier({ algorithms: ['HS256'], verify, cache: {} })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['HS256'], verify, cache: false })).not.toThrow();
  });
});

describe('VerifiedTokenCache', () => {
  const cache = (maxEntries = 3, maxAgeMs = 1_000): VerifiedTokenCache<string> => new VerifiedTokenCache({ maxEntries, maxAgeMs });

  it('serves an entry until maxAge after it was stored, or until its own expiry if sooner', () => {
    const c = cache();
    c.set('a', 'A', 0, Infinity);
    c.set('b', 'B', 0, 400);
    expect(c.get('a', 999)).toBe('A');
    expect(c.get('a', 1_000)).toBeUndefined();
    expect(c.get('b', 399)).toBe('B');
    expect(c.get('b', 400)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('does not store what has already expired', () => {
    const c = cache();
    c.set('a', 'A', 500, 500);
    expect(c.size).toBe(0);
  });

  it('does not extend an entry when it is read', () => {
    const c = cache();
    c.set('a', 'A', 0, Infinity);
    expect(c.get('a', 900)).toBe('A');
    expect(c.get('a', 1_000)).toBeUndefined();
  });

  it('never holds more than maxEntries: the oldest is evicted', () => {
    const c = cache(3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) c.set(key, key.toUpperCase(), 0, Infinity);
    expect(c.size).toBe(3);
    expect([c.get('a', 1), c.get('b', 1), c.get('c', 1), c.get('d', 1), c.get('e', 1)]).toEqual([undefined, undefined, 'C', 'D', 'E']);
  });

  it('moves an entry stored again to the young end', () => {
    const c = cache(2);
    c.set('a', 'A1', 0, Infinity);
    c.set('b', 'B', 0, Infinity);
    c.set('a', 'A2', 10, Infinity);
    c.set('c', 'C', 20, Infinity);
    expect([c.get('a', 30), c.get('b', 30), c.get('c', 30)]).toEqual(['A2', undefined, 'C']);
  });

  it('never serves an expired entry, and expired entries count against maxEntries until looked up or evicted', () => {
    const c = cache(3, 1_000);
    for (const key of ['a', 'b', 'c']) c.set(key, 'x', 0, Infinity);
    expect(c.get('a', 5_000)).toBeUndefined();
    expect(c.size).toBe(2); // 'a' dropped when looked up; 'b' and 'c' stay until evicted (no sweeping timer)
    for (const key of ['d', 'e', 'f']) c.set(key, 'y', 5_000, Infinity);
    expect(c.size).toBe(3);
    expect([c.get('b', 5_001), c.get('c', 5_001), c.get('f', 5_001)]).toEqual([undefined, undefined, 'y']);
  });

  it('does not move an entry when it is read: eviction follows the order of storing', () => {
    const c = cache(2);
    c.set('a', 'A', 0, Infinity);
    c.set('b', 'B', 0, Infinity);
    expect(c.get('a', 1)).toBe('A');
    c.set('c', 'C', 2, Infinity);
    expect([c.get('a', 3), c.get('b', 3), c.get('c', 3)]).toEqual([undefined, 'B', 'C']);
  });

  it('keeps its bounds and answers only what was last stored and has not expired, whatever the operations', () => {
    type Op =
      | { kind: 'set'; key: number; ttl: number }
      | { kind: 'get'; key: number }
      | { kind: 'tick'; ms: number }
      | { kind: 'clear' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(12), ttl: fc.integer({ min: -5, max: 400 }) }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.nat(12) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(150) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 200 }), (maxEntries, ops) => {
        const c = new VerifiedTokenCache<string>({ maxEntries, maxAgeMs: 300 });
        /** What was last stored per key (the reference), and in which order keys were last stored. */
        const stored = new Map<number, { value: string; until: number }>();
        let order: number[] = [];
        let now = 0;
        let serial = 0;
        for (const step of ops) {
          if (step.kind === 'tick') now += step.ms;
          if (step.kind === 'clear') {
            c.clear();
            stored.clear();
            order = [];
          }
          if (step.kind === 'set') {
            const value = `v${serial++}`;
            c.set(`k${step.key}`, value, now, now + step.ttl);
            stored.set(step.key, { value, until: Math.min(now + 300, now + step.ttl) });
            order = [...order.filter((k) => k !== step.key), step.key];
          }
          if (step.kind === 'get') {
            const got = c.get(`k${step.key}`, now);
            const ref = stored.get(step.key);
            // Never a value that was replaced, cleared or expired.
            if (got !== undefined && (ref === undefined || got !== ref.value || !(now < ref.until))) return false;
          }
          if (c.size > maxEntries) return false;
        }
        // Nothing unexpired among the last maxEntries keys stored is lost when every key was stored once.
        if (new Set(ops.filter((o) => o.kind === 'set').map((o) => (o as { key: number }).key)).size === ops.filter((o) => o.kind === 'set').length) {
          for (const key of order.slice(-maxEntries)) {
            const ref = stored.get(key)!;
            if (now < ref.until && c.get(`k${key}`, now) !== ref.value) return false;
          }
        }
        return true;
      }),
      { numRuns: 500, seed: 0x5eca17 },
    );
  });

  it('answers a token stored again and again, and keeps its bound', () => {
    const c = cache(2, 1_000_000);
    c.set('a', 'A', 0, Infinity);
    for (let i = 0; i < 5_000; i++) c.set('b', `B${i}`, i, Infinity);
    expect(c.get('b', 5_000)).toBe('B4999');
    expect(c.size).toBeLessThanOrEqual(2);
  });

  it('forgets everything on clear', () => {
    const c = cache();
    c.set('a', 'A', 0, Infinity);
    c.clear();
    expect(c.get('a', 1)).toBeUndefined();
  });
});

describe('tokenDigest', () => {
  it('is the 32-byte SHA-256 of the whole token, never the token, and differs for a one-character change', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    const digest = tokenDigest(token);
    expect(digest).toHaveLength(32);
    expect(Buffer.from(digest, 'latin1').toString('hex')).toBe(
      require('node:crypto').createHash('sha256').update(token).digest('hex'),
    );
    expect(digest).not.toContain('eyJ');
    expect(tokenDigest(`${token.slice(0, -1)}f`)).not.toBe(digest);
  });
});

describe('recheckTimeClaims matches jose at every boundary', () => {
  type Outcome = 'ok' | string;
  function ours(payload: JWTPayload, nowMs: number, tolerance: number, maxAge?: number): Outcome {
    try {
      recheckTimeClaims(payload, nowMs, tolerance, maxAge);
      return 'ok';
    } catch (error) {
      const e = error as joseErrors.JWTClaimValidationFailed;
      return `${e.code}:${e.claim}:${e.reason}`;
    }
  }
  async function jose(token: string, nowMs: number, tolerance: number, maxAge?: number): Promise<Outcome> {
    try {
      await jwtVerify(token, SECRET_BYTES, {
        currentDate: new Date(nowMs),
        clockTolerance: tolerance,
        ...(maxAge !== undefined && { maxTokenAge: maxAge }),
      });
      return 'ok';
    } catch (error) {
      const e = error as joseErrors.JWTClaimValidationFailed;
      return `${e.code}:${e.claim}:${e.reason}`;
    }
  }

  const payloads: JWTPayload[] = [
    { iat: NOW_SEC, exp: NOW_SEC + 10 },
    { iat: NOW_SEC, nbf: NOW_SEC + 10, exp: NOW_SEC + 20 },
    { iat: NOW_SEC + 0.5, nbf: NOW_SEC + 10.5, exp: NOW_SEC + 20.5 },
    { iat: NOW_SEC + 8, exp: NOW_SEC + 30 },
    { nbf: NOW_SEC - 100, exp: NOW_SEC + 1 },
  ];
  it.each([
    [0, undefined],
    [5, undefined],
    [0, 4],
    [3, 4],
  ])('tolerance %s s, maxTokenAge %s s', async (tolerance, maxAge) => {
    for (const payload of payloads) {
      const token = await sign(payload);
      // Every 250 ms from well before nbf/iat to well after exp, including fractional clocks.
      for (let offsetMs = -20_000; offsetMs <= 40_000; offsetMs += 250) {
        for (const nowMs of [NOW_MS + offsetMs, NOW_MS + offsetMs + 0.5]) {
          if (payload.iat === undefined && maxAge !== undefined) continue;
          expect(`${offsetMs}: ${ours(payload, nowMs, tolerance, maxAge)}`).toBe(`${offsetMs}: ${await jose(token, nowMs, tolerance, maxAge)}`);
        }
      }
    }
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays', () => {
    const value = deepFreeze({ a: { b: [1, { c: 2 }] } });
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a.b)).toBe(true);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
  });
});

describe('a verifier with the cache', () => {
  it('answers the same token again with the same deeply frozen result', async () => {
    const verifier = hsVerifier();
    const token = await sign(claims({ scope: ['chat:read'], nested: { a: [1] } }));
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.payload)).toBe(true);
    expect(Object.isFrozen(first.payload['scope'])).toBe(true);
    expect(Object.isFrozen((first.payload['nested'] as { a: unknown[] }).a)).toBe(true);
    expect(Object.isFrozen(first.header)).toBe(true);
    // Contexts may keep such payloads without a copy: nobody can change them.
    expect(verifierPayloadsAreFresh(verifier)).toBe(true);
  });

  it('verifies every presentation in full with cache: false, returning fresh objects', async () => {
    const verifier = hsVerifier({ cache: false });
    const token = await sign(claims());
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    expect(Object.isFrozen(first.payload)).toBe(false);
    expect(verifierPayloadsAreFresh(verifier)).toBe(true);
  });

  it('never caches results of a custom verify', async () => {
    const payload = claims();
    const verifier = createVerifier({ algorithms: ['HS256'], verify: () => payload, now: () => NOW_MS });
    const token = await sign(claims());
    expect(await verifier.verify(token)).not.toBe(await verifier.verify(token));
    expect(Object.isFrozen(payload)).toBe(false);
    expect(verifierPayloadsAreFresh(verifier)).toBe(false);
  });

  it('serves a verification for at most maxAgeSec, then verifies in full again', async () => {
    let clock = NOW_MS;
    const verifier = hsVerifier({ cache: { maxAgeSec: 60 } }, () => clock);
    const token = await sign(claims());
    const first = await verifier.verify(token);
    clock += 59_999;
    expect(await verifier.verify(token)).toBe(first);
    clock += 1;
    const again = await verifier.verify(token);
    expect(again).not.toBe(first);
    expect(await verifier.verify(token)).toBe(again);
  });

  it('re-checks exp on a hit: AUTH_EXPIRED once past exp + tolerance, as without the cache', async () => {
    let clock = NOW_MS;
    const verifier = hsVerifier({}, () => clock);
    const token = await sign(claims({ exp: NOW_SEC + 60 }));
    await verifier.verify(token);
    clock = (NOW_SEC + 65) * 1000 - 1;
    await expect(verifier.verify(token)).resolves.toBeDefined();
    clock += 1;
    expect((await failure(verifier, token)).code).toBe('AUTH_EXPIRED');
  });

  it('re-checks maxTokenAgeSec on a hit', async () => {
    let clock = NOW_MS;
    const verifier = hsVerifier({ maxTokenAgeSec: 30 }, () => clock);
    const token = await sign(claims());
    const first = await verifier.verify(token);
    clock = (NOW_SEC + 35) * 1000;
    expect(await verifier.verify(token)).toBe(first);
    clock += 1_000;
    const error = await failure(verifier, token);
    expect(error.code).toBe('AUTH_EXPIRED');
    expect(error.cause?.claim).toBe('iat');
  });

  it('does not remember failures: a token refused as not yet valid verifies once its nbf is reached', async () => {
    let clock = NOW_MS;
    const verifier = hsVerifier({ clockToleranceSec: 0 }, () => clock);
    const token = await sign(claims({ nbf: NOW_SEC + 10 }));
    expect((await failure(verifier, token)).code).toBe('AUTH_NOT_YET_VALID');
    expect((await failure(verifier, token)).code).toBe('AUTH_NOT_YET_VALID');
    clock += 10_000;
    const verified = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(verified);
  });

  it('does not share its cache with another verifier, even one configured alike', async () => {
    const token = await sign(claims());
    const a = hsVerifier();
    const b = hsVerifier();
    expect(await b.verify(token)).not.toBe(await a.verify(token));
  });

  it('keeps checking against the issuers it was created with, whatever happens to the array passed in', async () => {
    const issuers = ['https://a.example'];
    const verifier = hsVerifier({ issuer: issuers, cache: false });
    issuers.push('https://evil.example');
    const token = await sign(claims({ iss: 'https://evil.example' }));
    expect((await failure(verifier, token)).code).toBe('AUTH_INVALID');
  });
});
