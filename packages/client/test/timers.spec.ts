import { Timers } from '../src/timers.js';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('Timers', () => {
  it('runs a timer once unless cleared', () => {
    const timers = new Timers();
    const run = jest.fn();
    const cleared = jest.fn();
    timers.set(100, run);
    timers.clear(timers.set(100, cleared));
    timers.clear(undefined);
    jest.advanceTimersByTime(100);
    expect(run).toHaveBeenCalledTimes(1);
    expect(cleared).not.toHaveBeenCalled();
  });

  it('resolves a pause with current() when it ends, and false at once when abandoned', async () => {
    const timers = new Timers();
    const ended = timers.pause(50, () => true);
    const stale = timers.pause(50, () => false);
    jest.advanceTimersByTime(50);
    await expect(ended).resolves.toBe(true);
    await expect(stale).resolves.toBe(false);

    const run = jest.fn();
    const abandoned = timers.pause(1_000, () => true);
    timers.set(1_000, run);
    timers.abandonAll();
    await expect(abandoned).resolves.toBe(false);
    jest.advanceTimersByTime(1_000);
    expect(run).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
  });
});
