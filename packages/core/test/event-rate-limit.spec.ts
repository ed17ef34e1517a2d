import { EventRateLimiter } from '../src/event-rate-limit.js';

function limiter(options: ConstructorParameters<typeof EventRateLimiter>[0], start = 1_000_000) {
  const clock = { now: start };
  return { limiter: new EventRateLimiter(options, () => clock.now), clock };
}

function take(l: EventRateLimiter, socket: object, count: number): string[] {
  return Array.from({ length: count }, () => l.take(socket));
}

describe('EventRateLimiter', () => {
  test('a burst is allowed at once, then events are refused, then the socket is cut after disconnectAfter refusals', () => {
    const { limiter: l } = limiter({ perSecond: 5, burst: 3, disconnectAfter: 4 });
    const socket = {};
    expect(take(l, socket, 8)).toEqual(['allow', 'allow', 'allow', 'refuse', 'refuse', 'refuse', 'refuse', 'disconnect']);
  });

  test('refill is computed from the clock on each event, capped at the burst', () => {
    const { limiter: l, clock } = limiter({ perSecond: 2, burst: 2, disconnectAfter: 100 });
    const socket = {};
    expect(take(l, socket, 3)).toEqual(['allow', 'allow', 'refuse']);
    clock.now += 500; // +1 token, but the refused event left a debt of 1
    expect(l.take(socket)).toBe('refuse');
    clock.now += 1_500; // +3 tokens: from -1 to 2, the cap
    expect(take(l, socket, 3)).toEqual(['allow', 'allow', 'refuse']);
    clock.now += 3_600_000; // an hour later: only the burst, not 7 200 events
    expect(take(l, socket, 3)).toEqual(['allow', 'allow', 'refuse']);
  });

  test('a sustained rate at the limit is served forever; any rate above it ends in a disconnect', () => {
    const { limiter: l, clock } = limiter({ perSecond: 10, burst: 10, disconnectAfter: 20 });
    const steady = {};
    for (let i = 0; i < 1_000; i++) {
      clock.now += 100;
      expect(l.take(steady)).toBe('allow');
    }
    const flooding = {};
    const verdicts: string[] = [];
    for (let i = 0; i < 1_000 && verdicts[verdicts.length - 1] !== 'disconnect'; i++) {
      clock.now += 50; // 20/s against 10/s
      verdicts.push(l.take(flooding));
    }
    // At twice the rate each event after the first costs half a token net: from 10 down to the floor (-21)
    // takes 1 + 60 events.
    expect(verdicts[verdicts.length - 1]).toBe('disconnect');
    expect(verdicts).toHaveLength(61);
    expect(verdicts.filter((v) => v === 'allow')).toHaveLength(19);
  });

  test('buckets are per socket', () => {
    const { limiter: l } = limiter({ perSecond: 1, burst: 1 });
    const a = {};
    const b = {};
    expect([l.take(a), l.take(a), l.take(b)]).toEqual(['allow', 'refuse', 'allow']);
  });

  test('a clock going backwards neither adds nor removes tokens', () => {
    const { limiter: l, clock } = limiter({ perSecond: 1, burst: 2 });
    const socket = {};
    expect(l.take(socket)).toBe('allow');
    clock.now -= 60_000;
    expect(take(l, socket, 2)).toEqual(['allow', 'refuse']);
  });

  test('defaults: burst of one second, disconnect after max(10, 5 × burst); Infinity never disconnects; 0 at once', () => {
    const defaults = limiter({ perSecond: 4 }).limiter;
    const s = {};
    const verdicts = take(defaults, s, 4 + 20 + 1);
    expect(verdicts.slice(0, 4)).toEqual(['allow', 'allow', 'allow', 'allow']);
    expect(verdicts.slice(4, 24).every((v) => v === 'refuse')).toBe(true);
    expect(verdicts[24]).toBe('disconnect');
    const never = limiter({ perSecond: 1, burst: 1, disconnectAfter: Infinity }).limiter;
    expect(take(never, {}, 10_000).includes('disconnect')).toBe(false);
    const strict = limiter({ perSecond: 1, burst: 1, disconnectAfter: 0 }).limiter;
    expect(take(strict, {}, 2)).toEqual(['allow', 'disconnect']);
  });

  test.each([
    [{ perSecond: 0 }],
    [{ perSecond: -1 }],
    [{ perSecond: Number.NaN }],
    [{ perSecond: Infinity }],
    [{ perSecond: 5, burst: 0.5 }],
    [{ perSecond: 5, disconnectAfter: -1 }],
    [{ perSecond: 5, disconnectAfter: Number.NaN }],
    [null],
    ['10'],
  ])('invalid options %j are refused with a TypeError', (options) => {
    expect(() => new EventRateLimiter(options as never, Date.now)).toThrow(TypeError);
  });
});
