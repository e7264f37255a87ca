import { SlotState } from '../abi/layout.js';
import { SHARED_MEMORY_AVAILABLE } from '../abi/shared-buffer.js';
import type { SlotTable } from '../abi/slot-table.js';
import { WorkerCrashError } from '../errors.js';
import type { WorkerExit } from '../transport/types.js';
import type { Unit } from './jobs.js';
import type { WorkerSlot } from './worker-slot.js';

/** What became of the units a dead or stopped worker still held. */
export interface Triage {
  /** Apply units that finished: the value is in their slot; only the notice died with the worker. */
  finished: Unit[];
  /** The unit the worker was inside when it died. */
  crashed: Unit[];
  /** Units it never started: they go back to the front of the queue. */
  requeue: Unit[];
}

/**
 * Sorts a gone worker's unsettled units. `running` is the id in its RUNNING cell (0 if none or if the
 * main thread already failed that unit itself).
 */
export function triage(units: Iterable<Unit>, running: number, slots: SlotTable): Triage {
  const result: Triage = { finished: [], crashed: [], requeue: [] };
  for (const unit of units) {
    if (unit.settled) continue;
    const state = unit.message.items === undefined ? slots.state(unit.job.slot) : -1;
    if (state === SlotState.NUMBER) result.finished.push(unit);
    else if (unit.id === running || state === SlotState.RUNNING || state === SlotState.MESSAGE) result.crashed.push(unit);
    else result.requeue.push(unit);
  }
  return result;
}

export function crashError(unit: Unit, exit: WorkerExit): WorkerCrashError {
  const reason = exit.error instanceof Error ? `: ${exit.error.message}` : exit.code !== undefined ? ` with exit code ${exit.code}` : '';
  return new WorkerCrashError(`The worker running kernel \`${unit.job.kernel}\` died${reason}; the worker was replaced and other tasks go on`, {
    kernel: unit.job.kernel,
    exitCode: exit.code,
    cause: exit.error,
  });
}

/**
 * The id of the unit a dead worker was inside (0 if none). Without shared memory its RUNNING cell is
 * the worker's own copy; a worker runs its units in order and then reports each one by message as it
 * finishes, so the first unit not yet reported is the one it was running.
 */
export function runningUnitOf(worker: WorkerSlot): number {
  if (SHARED_MEMORY_AVAILABLE) return worker.running;
  for (const unit of worker.inFlight.values()) if (!unit.settled) return unit.id;
  return 0;
}
