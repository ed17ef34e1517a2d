import { backoffDelay, unit } from '../src/backoff.js';
import { ServerClock, pickRefreshLead } from '../src/schedule.js';
import { readTokenTimes } from '../src/token.js';
import { fakeToken } from './fake-socket.js';

const WINDOW = { startMs: 60_000, endMs: 10_000 };

describe('pickRefreshLead', () => {
  it('is uniform in [endMs, startMs] before expiry when the token lives longer than the window', () => {
    expect(pickRefreshLead(900_000, WINDOW, () => 0)).toBe(10_000);
    expect(pickRefreshLead(900_000, WINDOW, () => 0.5)).toBe(35_000);
    expect(pickRefreshLead(900_000, WINDOW, () => 0.999_999)).toBeCloseTo(60_000, -1);
  });

  it('narrows the window for short lifetimes: never before 20% of the remaining time, keeping a margin', () => {
    // 4 s left: window [60 s, 10 s] becomes [3.2 s, 1.6 s] before expiry.
    expect(pickRefreshLead(4_000, WINDOW, () => 0.999_999)).toBeCloseTo(3_200, 0);
    expect(pickRefreshLead(4_000, WINDOW, () => 0)).toBe(1_600);
    for (let i = 0; i < 1000; i++) {
      const lead = pickRefreshLead(4_000, WINDOW, Math.random);
      expect(lead).toBeGreaterThanOrEqual(1_600);
      expect(lead).toBeLessThanOrEqual(3_200);
    }
    // 30 s left (a late auth:expiring): [24 s, 10 s] — the full 10 s margin is kept.
    expect(pickRefreshLead(30_000, WINDOW, () => 0)).toBe(10_000);
    expect(pickRefreshLead(30_000, WINDOW, () => 0.999_999)).toBeCloseTo(24_000, -1);
  });

  it('never yields a negative or out-of-window lead, even from a broken random source', () => {
    for (const value of [-1, 2, NaN, Infinity]) {
      const lead = pickRefreshLead(900_000, WINDOW, () => value);
      expect(lead).toBeGreaterThanOrEqual(10_000);
      expect(lead).toBeLessThanOrEqual(60_000);
    }
    expect(pickRefreshLead(-5, WINDOW, Math.random)).toBe(0);
  });

  it('spreads 10,000 clients with the same exp over the whole window, without a spike', () => {
    const exp = 900_000;
    const clients = 10_000;
    const fireAt = Array.from({ length: clients }, () => exp - pickRefreshLead(exp, WINDOW, Math.random));
    const seconds = (WINDOW.startMs - WINDOW.endMs) / 1000;
    const buckets = new Map<number, number>();
    for (const t of fireAt) buckets.set(Math.floor(t / 1000), (buckets.get(Math.floor(t / 1000)) ?? 0) + 1);
    const expected = clients / seconds; // 200 per second
    expect(buckets.size).toBe(seconds);
    expect(Math.max(...buckets.values())).toBeLessThan(expected * 1.5);
    expect(Math.min(...buckets.values())).toBeGreaterThan(expected * 0.5);
    expect(Math.min(...fireAt)).toBeGreaterThanOrEqual(exp - 60_000);
    expect(Math.min(...fireAt)).toBeLessThan(exp - 59_000);
    expect(Math.max(...fireAt)).toBeLessThanOrEqual(exp - 10_000);
    expect(Math.max(...fireAt)).toBeGreaterThan(exp - 11_000);
  });
});

describe('backoffDelay (full jitter)', () => {
  const policy = { baseMs: 500, capMs: 30_000, maxAttempts: 10 };

  it('stays within [0, min(cap, base * 2^n)]', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const ceiling = Math.min(30_000, 500 * 2 ** attempt);
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(attempt, policy, Math.random);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
      expect(backoffDelay(attempt, policy, () => 0.999_999_9)).toBeCloseTo(ceiling, -1);
      expect(backoffDelay(attempt, policy, () => 0)).toBe(0);
    }
  });

  it('uses the whole range (full jitter, not ±50%)', () => {
    const delays = Array.from({ length: 5000 }, () => backoffDelay(3, policy, Math.random));
    expect(Math.min(...delays)).toBeLessThan(4000 * 0.05);
    expect(Math.max(...delays)).toBeGreaterThan(4000 * 0.95);
  });

  it('is capped for huge attempt numbers', () => {
    expect(backoffDelay(10_000, policy, () => 0.5)).toBe(15_000);
  });

  it('unit() clamps random values into [0, 1)', () => {
    expect(unit(-3)).toBe(0);
    expect(unit(7)).toBeLessThan(1);
    expect(unit(NaN)).toBe(0);
    expect(unit(0.25)).toBe(0.25);
  });
});

describe('ServerClock', () => {
  it('measures the offset from a server time and converts between clocks', () => {
    let local = 1_000_000;
    const clock = new ServerClock(() => local);
    expect(clock.source).toBe('none');
    clock.observeServerTime(1_300_000); // the server is 300 s ahead
    expect(clock.offsetMs).toBe(300_000);
    expect(clock.source).toBe('server');
    local += 5_000;
    expect(clock.serverNow()).toBe(1_305_000);
    expect(clock.toLocal(1_400_000)).toBe(1_100_000);
  });

  it('estimates the offset from a fresh token iat only until the server measured it, ignoring sub-second noise', () => {
    const local = 10_000_000;
    const clock = new ServerClock(() => local);
    clock.observeIssuedAt(Math.floor(local / 1000)); // same clock, iat truncated
    expect(clock.offsetMs).toBe(0);
    expect(clock.source).toBe('token');
    clock.observeIssuedAt(Math.floor((local + 120_000) / 1000)); // issuer 2 min ahead
    expect(clock.offsetMs).toBeGreaterThanOrEqual(119_000);
    expect(clock.offsetMs).toBeLessThanOrEqual(121_000);
    clock.observeServerTime(local + 60_000);
    clock.observeIssuedAt(Math.floor(local / 1000));
    expect(clock.offsetMs).toBe(60_000);
  });
});

describe('readTokenTimes', () => {
  it('reads exp (as ms) and iat from a JWT without verifying it', () => {
    expect(readTokenTimes(fakeToken({ exp: 2_000_000_000, iat: 1_999_999_000 }))).toEqual({
      expiresAt: 2_000_000_000_000,
      issuedAtSec: 1_999_999_000,
    });
  });

  it('gives nothing for opaque or malformed tokens', () => {
    expect(readTokenTimes('opaque-token')).toEqual({});
    expect(readTokenTimes('a.%%%.c')).toEqual({});
    expect(readTokenTimes(`x.${Buffer.from('"str"').toString('base64url')}.y`)).toEqual({});
    expect(readTokenTimes(fakeToken({ exp: -1 }))).toEqual({});
    expect(readTokenTimes('a.b.c'.repeat(10_000))).toEqual({});
  });
});
