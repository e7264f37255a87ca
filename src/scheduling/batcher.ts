import type { SlotTable } from '../abi/slot-table.js';
import type { UnitMessage } from '../abi/protocol.js';
import type { UnitQueue } from './unit-queue.js';
import type { WorkerSet } from './worker-set.js';

/** Aim for about this much queued work per worker: enough to hide a round trip, little enough to balance. */
const TARGET_QUEUED_MS = 2;
const MAX_UNITS_PER_WORKER = 1024;

/**
 * Moves units from the queue to workers in batches: one message per worker per flush, sized from the
 * measured run time of a unit so each worker holds about TARGET_QUEUED_MS of work.
 */
export class Batcher {
  /** A flush is due (a microtask is queued, or a synchronous caller should run it now). */
  scheduled = false;
  /** Moving average of one unit's run time in a worker; undefined until measured. */
  private unitMs: number | undefined;

  constructor(
    private readonly queue: UnitQueue,
    private readonly workers: WorkerSet,
    private readonly slots: SlotTable,
    private readonly maxTasksPerWorker: number | undefined,
  ) {}

  /** Records how long units take in a worker (from their reports). */
  observe(ms: number): void {
    this.unitMs = this.unitMs === undefined ? ms : this.unitMs * 0.7 + ms * 0.3;
  }

  /**
   * The first submission of a synchronous run is posted at once, so it runs even if the caller then
   * blocks (Atomics.wait, a busy loop) without yielding; everything else submitted in the same run is
   * batched into one message per worker at the end of the run (a microtask).
   */
  soon(): void {
    if (this.scheduled) return;
    this.schedule();
    this.flush();
    this.scheduled = true;
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      if (this.scheduled) this.flush();
    });
  }

  flushIfScheduled(): void {
    if (this.scheduled) this.flush();
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const capacity = this.capacity();
    const active = this.workers.live.filter((w) => !w.retiring && !w.gone);
    for (const worker of active) {
      if (this.queue.length === 0) break;
      let room = capacity - worker.inFlight.size;
      if (this.maxTasksPerWorker !== undefined) room = Math.min(room, this.maxTasksPerWorker - worker.assigned);
      room = Math.min(room, Math.ceil(this.queue.length / active.length));
      if (room <= 0) continue;
      const messages: UnitMessage[] = [];
      while (messages.length < room) {
        const unit = this.queue.shift();
        if (!unit) break;
        if (unit.settled) continue; // cancelled while queued
        worker.inFlight.set(unit.id, unit);
        unit.job.outstanding++;
        messages.push(unit.message);
      }
      if (messages.length === 0) continue;
      worker.assigned += messages.length;
      if (this.maxTasksPerWorker !== undefined && worker.assigned >= this.maxTasksPerWorker) worker.retiring = true;
      const pages = this.slots.pages.length > worker.pagesSent ? this.slots.pages.slice(worker.pagesSent) : undefined;
      worker.pagesSent = this.slots.pages.length;
      worker.handle.setBusy(true);
      worker.handle.post({ type: 'run', units: messages, pages });
    }
  }

  private capacity(): number {
    if (this.unitMs === undefined) return 1;
    return Math.max(1, Math.min(MAX_UNITS_PER_WORKER, Math.floor(TARGET_QUEUED_MS / Math.max(this.unitMs, 1e-6))));
  }
}
