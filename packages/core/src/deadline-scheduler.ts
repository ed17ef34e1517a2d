/** Node clamps longer timeouts to 1 ms; longer deadlines are reached through a chain of shorter timers. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** How often a run lets queued `process.nextTick` work through (ms); see {@link DeadlineSchedulerTuning.chunkMs}. */
const CHUNK_MS = 5;
/** How long a run holds the event loop before it yields to I/O (ms); see {@link DeadlineSchedulerTuning.sliceMs}. */
const SLICE_MS = 1000;

/** How a run of due items shares the event loop. */
export interface DeadlineSchedulerTuning {
  /**
   * After this long (ms), a run continues in a later `process.nextTick`, so the ticks its callbacks queued run
   * first: a socket cut writes its last frame from such a tick, and 10,000 cuts should not leave 10,000
   * frames waiting for the end of the run.
   */
  readonly chunkMs?: number;
  /**
   * After this long (ms), a run yields to I/O and continues on a timer. Long, because every socket cut in an
   * expiry storm makes its client close its connection, and handling those closes costs more than the cuts:
   * yielding early would let them in before the rest of the storm is cut. It only bounds pathological storms.
   */
  readonly sliceMs?: number;
}

/**
 * Where the scheduler keeps its mark on an item: a private field of the item itself, so a scheduled item costs
 * one array slot and no object of its own (no `Timeout`, no closure, no map entry).
 */
export interface DeadlineSlot<T> {
  read(item: T): object | undefined;
  write(item: T, mark: object | undefined): void;
}

/** Items due at the same millisecond. Cancelled or moved items stay in `items` until the bucket runs. */
class Bucket<T> {
  readonly items: T[] = [];
  /** Items of `items` still marked with this bucket. */
  live = 0;
  /** Items before this index already ran (a run that yielded half-way through the bucket). */
  next = 0;

  constructor(readonly due: number) {}
}

/**
 * One timer for many deadlines. Items are bucketed by due time (connection deadlines are mostly whole seconds
 * plus a fixed tolerance, so many share a bucket); the buckets' due times form a min-heap, and one unref'd
 * timer is armed for the earliest. Scheduling into an existing bucket is O(1), a new due time O(log n);
 * cancelling is O(1) (the item's mark is cleared; the bucket forgets it when it runs, or is compacted once mostly
 * stale). Delays beyond Node's limit are reached through a chain of shorter timers. With nothing scheduled, no
 * timer is left. `setTimeout` and `clearTimeout` are looked up at call time, so fake timers apply.
 */
export class DeadlineScheduler<T> {
  readonly #now: () => number;
  readonly #fire: (item: T) => void;
  readonly #slot: DeadlineSlot<T>;
  readonly #buckets = new Map<number, Bucket<T>>();
  /** Due times of the buckets, earliest first; may hold due times of buckets gone or emptied (skipped, dropped). */
  readonly #heap: number[] = [];
  #size = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When (scheduler clock) the armed timer fires; Infinity when none is armed. */
  #timerAt = Infinity;
  #running = false;
  /** A run continues in a queued tick. */
  #resuming = false;
  /** When the current slice of runs ends (performance.now() time). */
  #sliceEnd = 0;
  readonly #chunkMs: number;
  readonly #sliceMs: number;
  readonly #run = (): void => this.#runDue(false);
  readonly #resume = (): void => {
    if (!this.#resuming) return;
    this.#resuming = false;
    this.#runDue(true);
  };

  /**
   * @param now The clock deadlines are expressed in (ms): the connections' own clock.
   * @param fire Called once per item when its due time is reached; exceptions are swallowed.
   * @param slot Where the mark of each item is kept.
   * @param tuning How a long run shares the event loop.
   */
  constructor(now: () => number, fire: (item: T) => void, slot: DeadlineSlot<T>, tuning: DeadlineSchedulerTuning = {}) {
    this.#now = now;
    this.#fire = fire;
    this.#slot = slot;
    this.#chunkMs = tuning.chunkMs ?? CHUNK_MS;
    this.#sliceMs = tuning.sliceMs ?? SLICE_MS;
  }

  /** Number of items scheduled. */
  get size(): number {
    return this.#size;
  }

  /** How many due times the heap holds (at most one per due time with items, plus emptied ones not yet dropped). @internal */
  get queuedDueTimes(): number {
    return this.#heap.length;
  }

  /** Whether a timer is armed (false whenever nothing is scheduled). */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** Schedules `item` at `due` (scheduler clock, ms), replacing its previous due time. */
  schedule(item: T, due: number): void {
    const current = this.#slot.read(item) as Bucket<T> | undefined;
    if (current !== undefined) {
      if (current.due === due) return;
      this.#leave(current);
    } else {
      this.#size++;
    }
    let bucket = this.#buckets.get(due);
    if (bucket === undefined) {
      bucket = new Bucket<T>(due);
      this.#buckets.set(due, bucket);
      this.#push(due);
    }
    bucket.items.push(item);
    bucket.live++;
    this.#slot.write(item, bucket);
    if (!this.#running && due < this.#timerAt) this.#arm();
  }

  /** Unschedules `item`. Idempotent. */
  cancel(item: T): void {
    const current = this.#slot.read(item) as Bucket<T> | undefined;
    if (current === undefined) return;
    this.#slot.write(item, undefined);
    this.#size--;
    this.#leave(current);
    if (this.#size === 0 && !this.#running) this.#reset();
  }

  /** Whether `item` is scheduled. */
  has(item: T): boolean {
    return this.#slot.read(item) !== undefined;
  }

  #leave(bucket: Bucket<T>): void {
    if (--bucket.live === 0) {
      // Kept, empty, until its due time reaches the top of the heap (`#arm` drops it there): the next item due then
      // reuses it. Dropped here, every connection that opened and closed left one more copy of its due time in the
      // heap until that time came (+10 MB per million short connections sharing one expiry second).
      bucket.items.length = 0;
      bucket.next = 0;
    } else if (bucket.items.length - bucket.next > 2 * bucket.live + 32) {
      // Mostly stale (re-auths moved its items elsewhere): keep its memory bounded by its live items.
      let kept = 0;
      const items = bucket.items;
      for (let i = bucket.next; i < items.length; i++) if (this.#slot.read(items[i]!) === bucket) items[kept++] = items[i]!;
      items.length = kept;
      bucket.next = 0;
    }
  }

  /**
   * Runs the due buckets, earliest first. Every {@link DeadlineSchedulerTuning.chunkMs} it continues in a
   * later tick; after {@link DeadlineSchedulerTuning.sliceMs} it yields to I/O and continues on a timer.
   */
  #runDue(resumed: boolean): void {
    if (!resumed) {
      this.#timer = undefined;
      this.#timerAt = Infinity;
    }
    this.#running = true;
    const startedAt = performance.now();
    if (!resumed) this.#sliceEnd = startedAt + this.#sliceMs;
    const chunkEnd = startedAt + this.#chunkMs;
    let pause: 'chunk' | 'slice' | undefined;
    let fired = 0;
    try {
      const heap = this.#heap;
      while (heap.length > 0) {
        const due = heap[0]!;
        const bucket = this.#buckets.get(due);
        if (bucket === undefined) {
          // Every item left that bucket, or it already ran.
          this.#pop();
          continue;
        }
        if (due > this.#now()) break;
        // Items scheduled at this due time while it runs join this bucket and run in this loop too.
        const items = bucket.items;
        while (bucket.next < items.length) {
          const item = items[bucket.next++]!;
          if (this.#slot.read(item) !== bucket) continue;
          this.#slot.write(item, undefined);
          this.#size--;
          bucket.live--;
          try {
            this.#fire(item);
          } catch {
            // One item's callback failing must not keep the others from running.
          }
          if ((++fired & 15) === 0) {
            const now = performance.now();
            if (now >= this.#sliceEnd) pause = 'slice';
            else if (now >= chunkEnd) pause = 'chunk';
            if (pause !== undefined) break;
          }
        }
        if (pause !== undefined) break;
        // Done. Its due time stays in the heap until it reaches the top: callbacks may have pushed earlier ones.
        if (this.#buckets.get(due) === bucket) this.#buckets.delete(due);
      }
    } finally {
      this.#running = false;
      if (this.#size === 0) {
        this.#reset();
      } else if (pause === 'chunk') {
        this.#resuming = true;
        // A tick, not a microtask: the ticks already queued run first (microtasks would drain before them).
        process.nextTick(this.#resume);
      } else if (pause === 'slice') {
        this.#armIn(0);
      } else {
        this.#arm();
      }
    }
  }

  /** Arms the timer for the earliest live bucket, unless one is armed for that time or earlier already. */
  #arm(): void {
    const heap = this.#heap;
    // Due times with nothing left to run: gone, or emptied by cancellations (then dropped now).
    while (heap.length > 0) {
      const bucket = this.#buckets.get(heap[0]!);
      if (bucket !== undefined && bucket.live > 0) break;
      if (bucket !== undefined) this.#buckets.delete(bucket.due);
      this.#pop();
    }
    if (heap.length === 0) return this.#disarm();
    const due = heap[0]!;
    if (this.#timer !== undefined && this.#timerAt <= due) return;
    this.#armIn(due - this.#now());
  }

  #armIn(delay: number): void {
    this.#disarm();
    const wait = Math.min(Math.max(delay, 0), MAX_TIMER_DELAY_MS);
    this.#timerAt = this.#now() + wait;
    const timer = setTimeout(this.#run, wait);
    timer.unref?.();
    this.#timer = timer;
  }

  #disarm(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#timerAt = Infinity;
  }

  /** Nothing scheduled: no timer, and the stale due times and buckets are dropped. */
  #reset(): void {
    this.#disarm();
    this.#resuming = false;
    this.#buckets.clear();
    this.#heap.length = 0;
  }

  #push(due: number): void {
    const heap = this.#heap;
    let i = heap.push(due) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= due) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = due;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]! < heap[left]! ? right : left;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
