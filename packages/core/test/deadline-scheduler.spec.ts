import { DeadlineScheduler, MAX_TIMER_DELAY_MS, type DeadlineSchedulerTuning } from '../src/deadline-scheduler.js';
import { NOW_MS } from './support.js';

interface Item {
  readonly id: string;
  mark: object | undefined;
}

const DAY = 86_400_000;

function item(id: string): Item {
  return { id, mark: undefined };
}

/** A scheduler on the (fake) wall clock that records which items ran, in order. */
function recording(
  onFire: (entry: Item) => void = () => undefined,
  tuning: DeadlineSchedulerTuning = {},
): { scheduler: DeadlineScheduler<Item>; fired: string[] } {
  const fired: string[] = [];
  const scheduler = new DeadlineScheduler<Item>(
    () => Date.now(),
    (entry) => {
      fired.push(entry.id);
      onFire(entry);
    },
    { read: (entry) => entry.mark, write: (entry, mark) => (entry.mark = mark) },
    tuning,
  );
  return { scheduler, fired };
}

describe('DeadlineScheduler (fake timers)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW_MS });
  });

  afterEach(() => {
    jest.clearAllTimers();
    jest.useRealTimers();
  });

  it('runs items in due order, none before its due time, with one timer', () => {
    const { scheduler, fired } = recording();
    scheduler.schedule(item('c'), NOW_MS + 3000);
    scheduler.schedule(item('a'), NOW_MS + 1000);
    scheduler.schedule(item('b'), NOW_MS + 2000);
    expect(scheduler.size).toBe(3);
    expect(jest.getTimerCount()).toBe(1);

    jest.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['a']);
    jest.advanceTimersByTime(1999);
    expect(fired).toEqual(['a', 'b']);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(scheduler.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    expect(scheduler.armed).toBe(false);
  });

  it('never runs a cancelled item, and cancelling the last one leaves no timer', () => {
    const { scheduler, fired } = recording();
    const a = item('a');
    const b = item('b');
    scheduler.schedule(a, NOW_MS + 1000);
    scheduler.schedule(b, NOW_MS + 1000);
    scheduler.cancel(a);
    scheduler.cancel(a);
    expect(scheduler.has(a)).toBe(false);
    expect(scheduler.size).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(fired).toEqual(['b']);

    scheduler.schedule(a, NOW_MS + 5000);
    expect(jest.getTimerCount()).toBe(1);
    scheduler.cancel(a);
    expect(scheduler.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(DAY);
    expect(fired).toEqual(['b']);
  });

  it('moves an item earlier or later, running it once at its latest due time', () => {
    const { scheduler, fired } = recording();
    const early = item('early');
    const late = item('late');
    const other = item('other');
    scheduler.schedule(other, NOW_MS + 5000);
    scheduler.schedule(early, NOW_MS + 10_000);
    scheduler.schedule(early, NOW_MS + 1000);
    scheduler.schedule(late, NOW_MS + 2000);
    scheduler.schedule(late, NOW_MS + 20_000);
    expect(scheduler.size).toBe(3);

    jest.advanceTimersByTime(1000);
    expect(fired).toEqual(['early']);
    jest.advanceTimersByTime(4000);
    expect(fired).toEqual(['early', 'other']);
    jest.advanceTimersByTime(5000);
    expect(fired).toEqual(['early', 'other']);
    jest.advanceTimersByTime(10_000);
    expect(fired).toEqual(['early', 'other', 'late']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('runs once an item cancelled and scheduled again at the same due time', () => {
    const { scheduler, fired } = recording();
    const a = item('a');
    scheduler.schedule(a, NOW_MS + 1000);
    scheduler.cancel(a);
    scheduler.schedule(a, NOW_MS + 1000);
    scheduler.schedule(a, NOW_MS + 1000);
    expect(scheduler.size).toBe(1);
    jest.advanceTimersByTime(DAY);
    expect(fired).toEqual(['a']);
  });

  it('keeps one due time queued however many short-lived items come and go at it while others stay', () => {
    // Every connection that opens and closes schedules then cancels its deadline; tokens issued in one second share it.
    const { scheduler, fired } = recording();
    scheduler.schedule(item('stays'), NOW_MS + DAY);
    for (let i = 0; i < 1000; i++) {
      const passing = item(`passing-${i}`);
      scheduler.schedule(passing, NOW_MS + 1000);
      scheduler.cancel(passing);
    }
    expect(scheduler.queuedDueTimes).toBeLessThanOrEqual(2);
    scheduler.schedule(item('last'), NOW_MS + 1000);
    expect(scheduler.size).toBe(2);
    jest.advanceTimersByTime(1000);
    expect(fired).toEqual(['last']);
    expect(scheduler.queuedDueTimes).toBe(1);
    jest.advanceTimersByTime(DAY);
    expect(fired).toEqual(['last', 'stays']);
    expect(scheduler.queuedDueTimes).toBe(0);
  });

  it('runs 10,000 items sharing a due time at that time, each once, with one timer throughout', () => {
    const { scheduler, fired } = recording();
    const items = Array.from({ length: 10_000 }, (_, i) => item(`i${i}`));
    for (const entry of items) scheduler.schedule(entry, NOW_MS + 60_000);
    // Half of them re-authenticate: moved to a later second, then some of those cancelled.
    for (const entry of items.slice(0, 5000)) scheduler.schedule(entry, NOW_MS + 120_000);
    for (const entry of items.slice(0, 1000)) scheduler.cancel(entry);
    expect(scheduler.size).toBe(9000);
    expect(jest.getTimerCount()).toBe(1);

    jest.advanceTimersByTime(60_000);
    expect(fired).toHaveLength(5000);
    expect(new Set(fired)).toEqual(new Set(items.slice(5000).map((entry) => entry.id)));
    jest.advanceTimersByTime(60_000);
    expect(fired).toHaveLength(9000);
    expect(new Set(fired).size).toBe(9000);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('reaches due times beyond the maximum timer delay through a chain, never early', () => {
    const { scheduler, fired } = recording();
    const due = NOW_MS + 60 * DAY;
    expect(due - NOW_MS).toBeGreaterThan(MAX_TIMER_DELAY_MS);
    scheduler.schedule(item('far'), due);
    jest.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(fired).toEqual([]);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(due - Date.now() - 1);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['far']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('re-arms for an item scheduled earlier than the armed timer', () => {
    const { scheduler, fired } = recording();
    scheduler.schedule(item('far'), NOW_MS + 60 * DAY);
    scheduler.schedule(item('near'), NOW_MS + 1000);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(fired).toEqual(['near']);
    expect(jest.getTimerCount()).toBe(1);
  });

  it('keeps running the other items when a callback throws', () => {
    const { scheduler, fired } = recording((entry) => {
      if (entry.id === 'b') throw new Error('callback failed');
    });
    for (const id of ['a', 'b', 'c']) scheduler.schedule(item(id), NOW_MS + 1000);
    scheduler.schedule(item('d'), NOW_MS + 2000);
    jest.advanceTimersByTime(1000);
    expect(fired).toEqual(['a', 'b', 'c']);
    jest.advanceTimersByTime(1000);
    expect(fired).toEqual(['a', 'b', 'c', 'd']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('lets callbacks schedule and cancel items, including ones due in the same run', () => {
    const later = item('later');
    const cancelled = item('cancelled');
    const again = item('again');
    const { scheduler, fired } = recording((entry) => {
      if (entry.id !== 'first') return;
      scheduler.cancel(cancelled);
      scheduler.schedule(later, Date.now() + 5000);
      // Already due: runs in this same run, after the items due before it.
      scheduler.schedule(again, Date.now());
    });
    scheduler.schedule(item('first'), NOW_MS + 1000);
    scheduler.schedule(cancelled, NOW_MS + 1000);
    jest.advanceTimersByTime(1000);
    expect(fired).toEqual(['first', 'again']);
    expect(scheduler.size).toBe(1);
    jest.advanceTimersByTime(5000);
    expect(fired).toEqual(['first', 'again', 'later']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('reads the clock it was given, not the timer: a lagging clock delays items', () => {
    let lag = 500;
    const fired: string[] = [];
    const scheduler = new DeadlineScheduler<Item>(
      () => Date.now() - lag,
      (entry) => fired.push(entry.id),
      { read: (entry) => entry.mark, write: (entry, mark) => (entry.mark = mark) },
    );
    scheduler.schedule(item('a'), NOW_MS);
    jest.advanceTimersByTime(499);
    expect(fired).toEqual([]);
    lag = 0;
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['a']);
  });
});

describe('DeadlineScheduler (real timers)', () => {
  /** Busy for `ms`, as a callback doing real work would be. */
  function work(ms: number): void {
    const until = performance.now() + ms;
    while (performance.now() < until);
  }

  it('lets queued nextTick work through during a long run, without yielding to I/O', async () => {
    let turns = 0;
    const ticks: number[] = [];
    let allRan!: () => void;
    const done = new Promise<void>((resolve) => (allRan = resolve));
    let turnsAtStart = -1;
    let turnsAtEnd = -1;
    const { scheduler, fired } = recording(
      () => {
        if (turnsAtStart === -1) turnsAtStart = turns;
        work(0.2);
        // What a socket write leaves for later (its callback, the next frame).
        process.nextTick(() => ticks.push(fired.length));
        if (fired.length === 200) {
          turnsAtEnd = turns;
          allRan();
        }
      },
      { chunkMs: 5 },
    );
    for (let i = 0; i < 200; i++) scheduler.schedule(item(`i${i}`), Date.now() + 5);
    countTurnsUntil(() => fired.length >= 200, () => turns++);
    await done;
    await new Promise((resolve) => setImmediate(resolve));
    // ~40 ms of callbacks in ~5 ms chunks: the ticks of a chunk ran before the next chunk started.
    expect(ticks).toHaveLength(200);
    expect(ticks[0]).toBeLessThan(100);
    expect(new Set(ticks).size).toBeGreaterThanOrEqual(4);
    // …and no I/O turn came in between.
    expect(turnsAtEnd - turnsAtStart).toBe(0);
    expect(new Set(fired).size).toBe(200);
  });

  it('yields to the event loop after a slice and still runs every due item once', async () => {
    let turns = 0;
    let turnsAtStart = -1;
    let allRan!: () => void;
    const done = new Promise<void>((resolve) => (allRan = resolve));
    const { scheduler, fired } = recording(
      () => {
        if (turnsAtStart === -1) turnsAtStart = turns;
        // ~0.5 ms per item: 200 items would hold the loop for ~100 ms without yielding.
        work(0.5);
        if (fired.length === 200) allRan();
      },
      { sliceMs: 20 },
    );
    for (let i = 0; i < 200; i++) scheduler.schedule(item(`i${i}`), Date.now() + 5);
    countTurnsUntil(() => fired.length >= 200, () => turns++);
    await done;
    // Slices of ~20 ms: the event loop turned several times during the ~100 ms run.
    expect(turns - turnsAtStart).toBeGreaterThanOrEqual(3);
    expect(new Set(fired).size).toBe(200);
    expect(scheduler.armed).toBe(false);
  });
});

/** Calls `onTurn` once per event-loop turn (a setImmediate chain) until `done()`. */
function countTurnsUntil(done: () => boolean, onTurn: () => void): void {
  const spin = (): void => {
    onTurn();
    if (!done()) setImmediate(spin);
  };
  setImmediate(spin);
}
