import { createHook } from 'node:async_hooks';
import { settle } from './async';

/**
 * Tracks `Timeout` objects (setTimeout/setInterval, ref'd or not) created while it is enabled, through
 * async_hooks: `process.getActiveResourcesInfo()` does not list unref'd timers, and sockauth unrefs its own.
 */
export class TimerTracker {
  /** Timers created while enabled and not yet fired or cleared. */
  readonly live = new Set<number>();
  /** How many timers were created while enabled. */
  created = 0;
  /** Where each live timer was created, when `SOCKAUTH_TIMER_STACKS=1` (for diagnosing a failure). */
  readonly stacks = new Map<number, string>();
  readonly #withStacks = process.env['SOCKAUTH_TIMER_STACKS'] === '1';
  readonly #hook = createHook({
    init: (asyncId, type) => {
      if (type !== 'Timeout') return;
      this.created++;
      this.live.add(asyncId);
      if (this.#withStacks) this.stacks.set(asyncId, new Error('timer created').stack ?? '');
    },
    destroy: (asyncId) => {
      this.live.delete(asyncId);
      this.stacks.delete(asyncId);
    },
  });

  start(): this {
    this.#hook.enable();
    return this;
  }

  stop(): void {
    this.#hook.disable();
  }

  /**
   * Live timers once destroy hooks (emitted asynchronously) have caught up. With `withinMs`, keeps turning the
   * event loop (setImmediate only, so it creates no timer itself) until none is live or the time is up: a socket
   * library may still be finishing a close handshake (ws arms a close timer until the TCP socket is gone),
   * whereas a leaked timer stays live however long one waits.
   */
  async liveCount(withinMs = 0): Promise<number> {
    const deadline = Date.now() + withinMs;
    do {
      await settle();
      await settle();
    } while (this.live.size > 0 && Date.now() < deadline);
    return this.live.size;
  }
}

/** Ref'd timers as Node reports them (the brief's before/after check). */
export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}
