/** A repeated `chat:send` id from the same subject within this window is acked but not re-broadcast. */
export const IDEMPOTENCY_WINDOW_MS = 5 * 60_000;
/** Upper bound of remembered message ids (oldest forgotten first). */
export const MAX_REMEMBERED_IDS = 100_000;

/**
 * Message ids seen recently, per subject. Entries are inserted in time order, so expired ones are always at
 * the front of the map: sweeping costs only what it removes, and memory is bounded by the window and a cap.
 */
export class RecentIds {
  readonly #seen = new Map<string, number>();

  constructor(
    readonly windowMs = IDEMPOTENCY_WINDOW_MS,
    readonly max = MAX_REMEMBERED_IDS,
    readonly now: () => number = Date.now,
  ) {}

  /** True the first time `id` is seen for `subject` within the window (and remembers it); false for a repeat. */
  remember(subject: string, id: string): boolean {
    const now = this.now();
    this.#sweep(now);
    const key = `${subject}\u0000${id}`;
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, now + this.windowMs);
    if (this.#seen.size > this.max) this.#seen.delete(this.#seen.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  clear(): void {
    this.#seen.clear();
  }

  #sweep(now: number): void {
    for (const [key, expiresAt] of this.#seen) {
      if (expiresAt > now) return;
      this.#seen.delete(key);
    }
  }
}
