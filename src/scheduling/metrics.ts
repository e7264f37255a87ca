/**
 * Per-task timing and per-worker utilisation over a sliding window, for `pool.stats()`.
 *
 * The window (default 60 s) is a ring of sub-windows (default 6 of 10 s); a sub-window is cleared when time
 * comes round to it again, so the figures always cover the last `windowMs - subWindowMs` to `windowMs`.
 * Recording a task writes a few typed-array cells and allocates nothing: this runs once per task on the
 * main thread, where garbage would cost every task.
 */

/** A distribution of durations over the window, in ms. Every field is 0 while `count` is 0. */
export interface TimingStats {
  /** Tasks recorded in the window. */
  count: number;
  /** Median, ms: the upper bound of its bucket, at most 9% above the true value (eight buckets per power of two), never above `max`. */
  p50: number;
  /** 90th percentile, ms. */
  p90: number;
  /** 99th percentile, ms. */
  p99: number;
  /** Longest, ms (exact). */
  max: number;
}

/** One live worker's share of the window spent running tasks. */
export interface WorkerUtilization {
  /** The worker's id, as the pool numbers its workers. */
  id: number;
  /** Busy ms divided by the ms this worker was alive in the window: 0 (idle) to 1 (always busy). */
  utilization: number;
  /** Ms spent running tasks in the window. */
  busyMs: number;
}

/** What the metrics add to `pool.stats()`. */
export interface MetricsStats {
  /** Length of the sliding window the figures cover, ms. */
  windowMs: number;
  /** Time units spent running in a worker, ms, from start to completion. */
  runTime: TimingStats;
  /** Time units waited in the queue, ms, from submission to start. */
  waitTime: TimingStats;
  /** Busy worker-ms over alive worker-ms across the live workers: 0 to 1; 0 with no workers. */
  utilization: number;
  /** One entry per live worker, in the order they started. */
  perWorker: WorkerUtilization[];
}

export interface MetricsOptions {
  /** The sliding window, ms. @default 60_000 */
  windowMs?: number;
  /** Sub-windows in the ring; the figures lag the window's start by at most one. @default 6 */
  subWindows?: number;
  /** Milliseconds from any fixed origin; injectable so tests run on a fake clock. @default performance.now */
  clock?: () => number;
}

/** Bucket 0 holds everything below this (0 included): 2^-10 ms, about a microsecond. */
const SMALLEST_MS = 2 ** -10;
/** Buckets per power of two: the upper bound of a bucket is 2^(1/8) ≈ 9% above its lower bound. */
const BUCKETS_PER_OCTAVE = 8;
/** 2^-10 ms to 2^22 ms (70 minutes). */
const OCTAVES = 32;
const LOG_BUCKETS = OCTAVES * BUCKETS_PER_OCTAVE;
/** Underflow bucket, log-scale buckets, overflow bucket. */
const BUCKETS = LOG_BUCKETS + 2;

function bucketOf(ms: number): number {
  // `!(ms >= x)` also sends NaN to the underflow bucket.
  if (!(ms >= SMALLEST_MS)) return 0;
  const index = 1 + Math.floor(Math.log2(ms / SMALLEST_MS) * BUCKETS_PER_OCTAVE);
  return index > LOG_BUCKETS ? BUCKETS - 1 : index;
}

/** The largest value that lands in `bucket` (Infinity for overflow). */
function upperBoundOf(bucket: number): number {
  if (bucket >= BUCKETS - 1) return Infinity;
  return SMALLEST_MS * 2 ** (bucket / BUCKETS_PER_OCTAVE);
}

/**
 * The ring of sub-windows one structure keeps. Each slot remembers which sub-window (its epoch,
 * `floor(now / subWindowMs)`) it holds, and is cleared before it is reused for a later one.
 */
abstract class SubWindowRing {
  readonly #epochs: Float64Array;

  constructor(
    protected readonly slots: number,
    protected readonly subWindowMs: number,
  ) {
    this.#epochs = new Float64Array(slots).fill(-Infinity);
  }

  protected epochOf(nowMs: number): number {
    return Math.floor(nowMs / this.subWindowMs);
  }

  /** The slot for `epoch`, cleared if it held an older one; -1 if it already holds a later one (the epoch is out of the window). */
  protected slotOf(epoch: number): number {
    const slot = ((epoch % this.slots) + this.slots) % this.slots;
    const held = this.#epochs[slot];
    if (held === epoch) return slot;
    if (held > epoch) return -1;
    this.#epochs[slot] = epoch;
    this.clearSlot(slot);
    return slot;
  }

  /** Whether `slot` holds one of the sub-windows in the window ending at `nowEpoch`. */
  protected isLive(slot: number, nowEpoch: number): boolean {
    return this.#epochs[slot] > nowEpoch - this.slots && this.#epochs[slot] <= nowEpoch;
  }

  protected abstract clearSlot(slot: number): void;
}

/** A windowed distribution of durations in fixed log-scale buckets. */
export class WindowedHistogram extends SubWindowRing {
  /** `counts[slot * BUCKETS + bucket]`. */
  readonly #counts: Uint32Array;
  readonly #maxes: Float64Array;
  readonly #totals: Float64Array;

  constructor(slots: number, subWindowMs: number) {
    super(slots, subWindowMs);
    this.#counts = new Uint32Array(slots * BUCKETS);
    this.#maxes = new Float64Array(slots);
    this.#totals = new Float64Array(slots);
  }

  /** Adds one duration (ms) at time `nowMs`; allocates nothing. Negative or NaN durations count as 0. */
  record(ms: number, nowMs: number): void {
    const slot = this.slotOf(this.epochOf(nowMs));
    if (slot < 0) return;
    this.#counts[slot * BUCKETS + bucketOf(ms)]++;
    this.#totals[slot]++;
    if (ms > this.#maxes[slot]) this.#maxes[slot] = ms;
  }

  snapshot(nowMs: number): TimingStats {
    const nowEpoch = this.epochOf(nowMs);
    let count = 0;
    let max = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      if (!this.isLive(slot, nowEpoch)) continue;
      count += this.#totals[slot];
      if (this.#maxes[slot] > max) max = this.#maxes[slot];
    }
    if (count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
    return {
      count,
      p50: this.#quantile(0.5, count, max, nowEpoch),
      p90: this.#quantile(0.9, count, max, nowEpoch),
      p99: this.#quantile(0.99, count, max, nowEpoch),
      max,
    };
  }

  /** The upper bound of the bucket holding the `ceil(q * count)`-th smallest value, but never above the exact max. */
  #quantile(q: number, count: number, max: number, nowEpoch: number): number {
    const rank = Math.max(1, Math.ceil(q * count));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      for (let slot = 0; slot < this.slots; slot++) if (this.isLive(slot, nowEpoch)) seen += this.#counts[slot * BUCKETS + bucket];
      if (seen >= rank) return Math.min(upperBoundOf(bucket), max);
    }
    return max;
  }

  protected clearSlot(slot: number): void {
    this.#counts.fill(0, slot * BUCKETS, (slot + 1) * BUCKETS);
    this.#maxes[slot] = 0;
    this.#totals[slot] = 0;
  }
}

/** One worker's busy time per sub-window. */
class BusyTime extends SubWindowRing {
  readonly #busy: Float64Array;
  /** When the running task started, or NaN while idle. */
  #busySince = Number.NaN;

  constructor(
    slots: number,
    subWindowMs: number,
    readonly id: number,
    readonly startedAt: number,
  ) {
    super(slots, subWindowMs);
    this.#busy = new Float64Array(slots);
  }

  busy(nowMs: number): void {
    if (Number.isNaN(this.#busySince)) this.#busySince = nowMs;
  }

  idle(nowMs: number): void {
    if (Number.isNaN(this.#busySince)) return;
    this.add(this.#busySince, nowMs);
    this.#busySince = Number.NaN;
  }

  /** Counts [fromMs, toMs) as busy, split at sub-window boundaries; time before the window is dropped. */
  add(fromMs: number, toMs: number): void {
    const lastEpoch = this.epochOf(toMs);
    let from = Math.max(fromMs, (lastEpoch - this.slots + 1) * this.subWindowMs);
    while (from < toMs) {
      const epoch = this.epochOf(from);
      const end = Math.min(toMs, (epoch + 1) * this.subWindowMs);
      const slot = this.slotOf(epoch);
      if (slot >= 0) this.#busy[slot] += end - from;
      from = end;
    }
  }

  /** Busy and alive ms in the window ending at `nowMs`, a task still running counted up to now. */
  measure(nowMs: number): { busyMs: number; aliveMs: number } {
    if (!Number.isNaN(this.#busySince)) {
      this.add(this.#busySince, nowMs);
      this.#busySince = nowMs;
    }
    const nowEpoch = this.epochOf(nowMs);
    let busyMs = 0;
    for (let slot = 0; slot < this.slots; slot++) if (this.isLive(slot, nowEpoch)) busyMs += this.#busy[slot];
    const windowStart = (nowEpoch - this.slots + 1) * this.subWindowMs;
    return { busyMs, aliveMs: nowMs - Math.max(windowStart, this.startedAt) };
  }

  protected clearSlot(slot: number): void {
    this.#busy[slot] = 0;
  }
}

/**
 * Run-time and wait-time distributions plus per-worker utilisation, over one sliding window. The pool's
 * scheduler owns one and reports to it; `snapshot()` feeds `pool.stats()`. Every `nowMs` argument defaults to
 * the clock.
 */
export class PoolMetrics {
  readonly windowMs: number;
  readonly #subWindows: number;
  readonly #subWindowMs: number;
  readonly #clock: () => number;
  readonly #runTime: WindowedHistogram;
  readonly #waitTime: WindowedHistogram;
  readonly #workers = new Map<number, BusyTime>();

  constructor(options: MetricsOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.#subWindows = options.subWindows ?? 6;
    if (!(this.windowMs > 0 && Number.isFinite(this.windowMs)))
      throw new RangeError(`Expected \`windowMs\` to be a positive number of milliseconds, got ${this.windowMs}`);
    if (!(Number.isInteger(this.#subWindows) && this.#subWindows >= 1))
      throw new RangeError(`Expected \`subWindows\` to be a positive integer, got ${this.#subWindows}`);
    this.#subWindowMs = this.windowMs / this.#subWindows;
    this.#clock = options.clock ?? (() => performance.now());
    this.#runTime = new WindowedHistogram(this.#subWindows, this.#subWindowMs);
    this.#waitTime = new WindowedHistogram(this.#subWindows, this.#subWindowMs);
  }

  /** A unit ran for `ms` (start to completion). Allocates nothing. */
  recordRun(ms: number, nowMs = this.#clock()): void {
    this.#runTime.record(ms, nowMs);
  }

  /** A unit waited `ms` between submission and its start. Allocates nothing. */
  recordWait(ms: number, nowMs = this.#clock()): void {
    this.#waitTime.record(ms, nowMs);
  }

  /** A worker came up; it counts as alive (and idle) from now. */
  workerStarted(id: number, nowMs = this.#clock()): void {
    this.#workers.set(id, new BusyTime(this.#subWindows, this.#subWindowMs, id, nowMs));
  }

  /** A worker exited; it leaves the figures. */
  workerExited(id: number): void {
    this.#workers.delete(id);
  }

  /** The worker started running a task (a transition; repeated calls while busy are ignored). */
  workerBusy(id: number, nowMs = this.#clock()): void {
    this.#workers.get(id)?.busy(nowMs);
  }

  /** The worker finished its task and is idle. */
  workerIdle(id: number, nowMs = this.#clock()): void {
    this.#workers.get(id)?.idle(nowMs);
  }

  /** Instead of transitions: the worker reports it was busy for `busyMs` ending at `nowMs`. */
  reportBusy(id: number, busyMs: number, nowMs = this.#clock()): void {
    if (busyMs > 0) this.#workers.get(id)?.add(nowMs - busyMs, nowMs);
  }

  /** Plain objects for `pool.stats()`. */
  snapshot(nowMs = this.#clock()): MetricsStats {
    const perWorker: WorkerUtilization[] = [];
    let busyTotal = 0;
    let aliveTotal = 0;
    for (const tracker of this.#workers.values()) {
      const { busyMs, aliveMs } = tracker.measure(nowMs);
      busyTotal += busyMs;
      aliveTotal += aliveMs;
      perWorker.push({ id: tracker.id, utilization: fraction(busyMs, aliveMs), busyMs });
    }
    return {
      windowMs: this.windowMs,
      runTime: this.#runTime.snapshot(nowMs),
      waitTime: this.#waitTime.snapshot(nowMs),
      utilization: fraction(busyTotal, aliveTotal),
      perWorker,
    };
  }
}

/** `part / whole` clamped to 0..1, 0 for an empty whole. */
function fraction(part: number, whole: number): number {
  if (!(whole > 0)) return 0;
  return Math.min(1, Math.max(0, part / whole));
}
