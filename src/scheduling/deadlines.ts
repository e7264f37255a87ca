import type { Unit } from './jobs.js';

/**
 * Running units with a `timeout`: their deadlines and the one timer that enforces them. The clock starts
 * when the worker reports the unit started, so time spent queued does not count.
 */
export class Deadlines {
  private readonly running = new Set<Unit>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly onExpired: (unit: Unit) => void) {}

  get size(): number {
    return this.running.size;
  }

  start(unit: Unit, timeout: number): void {
    unit.deadline = performance.now() + timeout;
    this.running.add(unit);
    this.arm();
  }

  forget(unit: Unit): void {
    this.running.delete(unit);
  }

  /** Milliseconds until the earliest deadline (Infinity if none). */
  untilNext(): number {
    let next = Infinity;
    for (const unit of this.running) next = Math.min(next, unit.deadline);
    return next - performance.now();
  }

  /** Hands every expired unit to `onExpired`. Also called by a thread blocked in getSync(), which no timer can wake. */
  enforce(): void {
    const now = performance.now();
    for (const unit of [...this.running]) {
      if (unit.deadline > now) continue;
      this.running.delete(unit);
      this.onExpired(unit);
    }
    this.arm();
  }

  clear(): void {
    this.running.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running.size === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.enforce();
      },
      Math.max(0, this.untilNext()) + 1,
    );
  }
}
