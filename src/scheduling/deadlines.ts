import type { Unit } from './jobs.js';

/**
 * Running units with a `timeout`: their deadlines and the one timer that enforces them. The clock starts
 * when the worker reports the unit started, so time spent queued does not count.
 */
export class Deadlines {
  /** Each running timed unit and the performance.now() after which it is stopped. */
  private readonly running = new Map<Unit, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly onExpired: (unit: Unit) => void) {}

  get size(): number {
    return this.running.size;
  }

  start(unit: Unit, timeout: number): void {
    this.running.set(unit, performance.now() + timeout);
    this.arm();
  }

  /** The unit settled: its deadline goes, and with the last one the timer (a timer must not outlive its task). */
  forget(unit: Unit): void {
    if (!this.running.delete(unit) || this.running.size > 0 || this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Whether a timer is armed (for leak checks). */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Milliseconds until the earliest deadline (Infinity if none). */
  untilNext(): number {
    let next = Infinity;
    for (const deadline of this.running.values()) next = Math.min(next, deadline);
    return next - performance.now();
  }

  /** Hands every expired unit to `onExpired`. Also called by a thread blocked in getSync(), which no timer can wake. */
  enforce(): void {
    const now = performance.now();
    for (const [unit, deadline] of [...this.running]) {
      if (deadline > now) continue;
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
