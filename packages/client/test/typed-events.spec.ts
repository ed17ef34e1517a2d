import { Listeners } from '../src/typed-events.js';

interface Events {
  ping: (n: number) => void;
  pong: () => void;
}

describe('Listeners', () => {
  it('calls the listeners of an event in order, and no longer after off() or clear()', () => {
    const listeners = new Listeners<Events>(['ping', 'pong']);
    const calls: string[] = [];
    const a = (n: number): void => void calls.push(`a${n}`);
    listeners.on('ping', a);
    listeners.on('ping', (n) => calls.push(`b${n}`));
    listeners.on('pong', () => calls.push('pong'));
    listeners.emit('ping', 1);
    listeners.off('ping', a);
    listeners.emit('ping', 2);
    listeners.clear();
    listeners.emit('ping', 3);
    listeners.emit('pong');
    expect(calls).toEqual(['a1', 'b1', 'b2']);
  });

  it('refuses an event it does not know with a TypeError, inherited names included', () => {
    const listeners = new Listeners<Events>(['ping', 'pong']);
    expect(() => listeners.on('pang' as 'ping', () => undefined)).toThrow(TypeError);
    expect(() => listeners.on('toString' as 'ping', () => undefined)).toThrow(TypeError);
  });

  it('reports a throwing listener asynchronously and still calls the others', async () => {
    const listeners = new Listeners<Events>(['ping', 'pong']);
    const boom = new Error('listener bug');
    const after = jest.fn();
    listeners.on('pong', () => {
      throw boom;
    });
    listeners.on('pong', after);
    const reported = new Promise<unknown>((resolve) => {
      const original = globalThis.queueMicrotask;
      globalThis.queueMicrotask = (task) => {
        globalThis.queueMicrotask = original;
        try {
          task();
        } catch (error) {
          resolve(error);
        }
      };
    });
    expect(() => listeners.emit('pong')).not.toThrow();
    expect(after).toHaveBeenCalledTimes(1);
    await expect(reported).resolves.toBe(boom);
  });

  it('lets a listener remove itself during emit without skipping the next one', () => {
    const listeners = new Listeners<Events>(['ping', 'pong']);
    const second = jest.fn();
    const once = (): void => listeners.off('pong', once);
    listeners.on('pong', once);
    listeners.on('pong', second);
    listeners.emit('pong');
    listeners.emit('pong');
    expect(second).toHaveBeenCalledTimes(2);
  });
});
