import type { Unit } from './jobs.js';

/** FIFO of units waiting for a worker; O(1) at both ends for the common path. */
export class UnitQueue {
  private items: (Unit | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(unit: Unit): void {
    this.items.push(unit);
  }

  shift(): Unit | undefined {
    if (this.head >= this.items.length) return undefined;
    const unit = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return unit;
  }

  /** Puts units back at the front, in their order (work requeued from a dead worker goes first). */
  unshiftAll(units: Unit[]): void {
    if (units.length === 0) return;
    this.items = [...units, ...this.items.slice(this.head)];
    this.head = 0;
  }

  /** Cancelled units are left in place and skipped when shifted; this only frees the reference early. */
  remove(unit: Unit): void {
    const at = this.items.indexOf(unit, this.head);
    if (at >= 0) this.items.splice(at, 1);
  }

  drain(): Unit[] {
    const rest = this.items.slice(this.head).filter((u): u is Unit => u !== undefined);
    this.items = [];
    this.head = 0;
    return rest;
  }
}
