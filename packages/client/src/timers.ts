type Timer = ReturnType<typeof setTimeout>;

/**
 * Every timer the client has pending, so that one call abandons them all (close, a restart). A pause is a timer
 * whose promise settles `false` when it is abandoned, so the async flow waiting on it stops instead of hanging.
 */
export class Timers {
  /** Each pending timer, with what to do when it is abandoned (settle a pause). */
  readonly #pending = new Map<Timer, () => void>();

  /** Runs `run` in `ms`, unless cleared or abandoned first. */
  set(ms: number, run: () => void): Timer {
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      run();
    }, ms);
    this.#pending.set(timer, () => undefined);
    return timer;
  }

  clear(timer: Timer | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#pending.delete(timer);
  }

  /** Waits `ms`, then resolves `current()`; resolves `false` at once if abandoned meanwhile. */
  pause(ms: number, current: () => boolean): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(timer);
        resolve(current());
      }, ms);
      this.#pending.set(timer, () => resolve(false));
    });
  }

  /** Clears every pending timer and settles every pause with `false`. */
  abandonAll(): void {
    for (const [timer, abandon] of this.#pending) {
      clearTimeout(timer);
      abandon();
    }
    this.#pending.clear();
  }
}

export type { Timer };
