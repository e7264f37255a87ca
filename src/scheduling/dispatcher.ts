import { POOL_SIGNAL_BYTES, RUNNING_STOPPED, WorkerCell } from '../abi/layout.js';
import { SHARED_MEMORY_AVAILABLE, allocateFlagBuffer } from '../abi/shared-buffer.js';
import { SlotTable } from '../abi/slot-table.js';
import type { ModuleSpec, WorkerToMain } from '../abi/protocol.js';
import { CancelledError, PoolStateError, TimeoutError, WorkerCrashError } from '../errors.js';
import type { SpawnOptions, Transport, WorkerExit } from '../transport/types.js';
import { toTaskError } from './task-error.js';
import { Deadlines } from './deadlines.js';
import { crashError, runningUnitOf, triage } from './triage.js';
import type { Unit } from './jobs.js';
import { UnitQueue } from './unit-queue.js';
import type { WorkerSlot } from './worker-slot.js';
import { WorkerSet } from './worker-set.js';
import { Batcher } from './batcher.js';
import { Ledger } from './ledger.js';
import { SyncReader } from './sync-reader.js';

export interface DispatcherConfig {
  transport: Transport;
  module: ModuleSpec;
  workers: number;
  maxTasksPerWorker: number | undefined;
  initializer: string | undefined;
  initargs: unknown[] | undefined;
  spawnOptions?: SpawnOptions;
}

/** Workers that die before finishing anything, in a row, before the pool gives up respawning. */
const MAX_STARTUP_CRASHES = 3;

export type PoolState = 'open' | 'closing' | 'terminated';

/**
 * Queue → workers → completions. Owns the workers, decides which unit goes
 * where, settles units from worker messages, and heals the pool when a worker
 * dies, times out or is cancelled. Runtime-agnostic: it only sees a Transport.
 */
export class Dispatcher {
  readonly slots = new SlotTable();
  readonly signal = new Int32Array(allocateFlagBuffer(POOL_SIGNAL_BYTES));
  /** What AsyncResults read through: slots, ports and deadlines, without an event-loop turn. */
  readonly reader: SyncReader;
  state: PoolState = 'open';
  private readonly pool: WorkerSet;
  private readonly queue = new UnitQueue();
  private readonly deadlines = new Deadlines((unit) =>
    this.stopWorkerFor(
      unit,
      new TimeoutError(`Kernel \`${unit.job.kernel}\` ran past its timeout of ${unit.timeout} ms; it was stopped and its worker replaced`),
    ),
  );
  private readonly batcher: Batcher;
  /** Creates units and settles them; Pool makes its units here. */
  readonly ledger: Ledger;
  private startupCrashes = 0;
  /** Set when workers cannot start (initializer threw, module failed to load): every task fails with it. */
  broken: Error | undefined;

  constructor(private readonly config: DispatcherConfig) {
    this.pool = new WorkerSet(
      config.transport,
      { type: 'init', module: config.module, signal: this.signal.buffer as SharedArrayBuffer, initializer: config.initializer, initargs: config.initargs },
      config.spawnOptions,
    );
    this.ledger = new Ledger(this.slots, this.deadlines);
    this.batcher = new Batcher(this.queue, this.pool, this.slots, config.maxTasksPerWorker);
    this.reader = new SyncReader(
      this.signal,
      config.transport.canBlock,
      config.transport.readsMessagesSync,
      this.slots,
      this.ledger,
      this.pool,
      this.queue,
      this.batcher,
      this.deadlines,
      {
        ownerOf: (unit) => this.ownerOf(unit),
        afterReturn: (worker) => this.afterReturn(worker),
        workerGone: (worker, exit) => this.workerGone(worker, exit),
      },
    );
    for (let i = 0; i < config.workers; i++) this.spawn();
  }

  get workerCount(): number {
    return this.pool.live.length;
  }

  get queuedUnits(): number {
    return this.queue.length;
  }

  /** Units handed to workers and not yet back. */
  get runningUnits(): number {
    let running = 0;
    for (const worker of this.pool.live) running += worker.inFlight.size;
    return running;
  }

  /** Kills worker `index` as if from outside (no exit hook runs): for fault-injection tests only. */
  async killWorkerForTesting(index: number): Promise<void> {
    await this.pool.live[index].handle.terminate();
  }

  submit(units: Unit[]): void {
    if (this.broken) {
      for (const unit of units) this.ledger.failHere(unit, this.broken);
      return;
    }
    for (const unit of units) this.queue.push(unit);
    this.batcher.soon();
  }

  /** AbortSignal fired: cancel the unit wherever it is. */
  cancel(unit: Unit): void {
    if (unit.settled) return;
    const worker = this.ownerOf(unit);
    if (!worker) {
      this.queue.remove(unit);
      this.ledger.failHere(unit, new CancelledError('The task was cancelled by its AbortSignal before it started'));
      return;
    }
    // Win the slot before a worker claims it, or stop the worker that already has.
    // Without shared memory the worker cannot see a cancelled slot, so stopping it is the only sure way.
    if (SHARED_MEMORY_AVAILABLE && this.slots.tryCancel(unit.job.slot)) {
      this.ledger.failHere(unit, new CancelledError('The task was cancelled by its AbortSignal before it started'));
    } else {
      this.stopWorkerFor(unit, new CancelledError('The task was cancelled by its AbortSignal while running; its worker was stopped'));
    }
  }

  // ---- completions -----------------------------------------------------------

  private onMessage(worker: WorkerSlot, message: WorkerToMain): void {
    switch (message.type) {
      case 'done': {
        if (message.ids.length > 0 && message.busyMs > 0) this.batcher.observe(message.busyMs / message.ids.length);
        for (const id of message.ids) {
          const unit = this.ledger.takeBack(worker, id);
          if (unit && !unit.settled) this.ledger.settleFromWorker(unit, true, this.slots.numberValue(unit.job.slot));
        }
        break;
      }
      case 'result':
      case 'error': {
        if (message.ms !== undefined) this.batcher.observe(message.ms);
        const unit = this.ledger.takeBack(worker, message.id);
        if (unit && !unit.settled) {
          if (message.type === 'result') this.ledger.settleFromWorker(unit, true, message.value);
          else this.ledger.settleFromWorker(unit, false, toTaskError(unit.job.kernel, message.error));
        }
        break;
      }
      case 'started': {
        const unit = worker.inFlight.get(message.id);
        if (unit && !unit.settled && unit.timeout !== undefined) this.deadlines.start(unit, unit.timeout);
        return;
      }
      case 'closing':
        return; // the transport reports it as the worker's exit
      case 'init-failed': {
        this.breakPool(toTaskError(this.config.initializer ?? '(module)', message.error));
        return;
      }
    }
    this.startupCrashes = 0;
    this.afterReturn(worker);
  }

  private afterReturn(worker: WorkerSlot): void {
    if (worker.inFlight.size === 0) {
      worker.handle.setBusy(false);
      if (worker.retiring && !worker.gone) this.retire(worker);
    }
    if (this.queue.length > 0) this.batcher.schedule();
    else if (this.state === 'closing') this.maybeFinishClose();
  }

  // ---- deadlines, crashes and replacement ---------------------------------------

  private ownerOf(unit: Unit): WorkerSlot | undefined {
    return this.pool.live.find((w) => w.inFlight.has(unit.id));
  }

  /**
   * Fails a running `unit` with `error` and stops its worker. If the unit is no longer running
   * (it finished a moment ago), nothing happens: its result is already on the way.
   */
  private stopWorkerFor(unit: Unit, error: Error): void {
    const worker = this.ownerOf(unit);
    if (!worker) return this.ledger.failHere(unit, error);
    // Without shared memory the RUNNING cell is the worker's own copy; an unsettled unit is taken as running.
    if (SHARED_MEMORY_AVAILABLE && Atomics.compareExchange(worker.cells, WorkerCell.RUNNING, unit.id, RUNNING_STOPPED) !== unit.id) {
      worker.handle.drainSync();
      return;
    }
    this.ledger.failHere(unit, error);
    void worker.handle.terminate();
    // No need to wait for the thread to exit: with RUNNING stopped it can start nothing else.
    this.workerGone(worker, { code: undefined, error: undefined }, true);
  }

  /** A worker is finished with: recover what it completed, blame the unit it was running, requeue the rest. */
  private workerGone(worker: WorkerSlot, exit: WorkerExit, stoppedByUs = false): void {
    this.pool.remove(worker);
    worker.handle.drainSync();
    const running = stoppedByUs ? 0 : runningUnitOf(worker);
    const { finished, crashed, requeue } = triage(worker.inFlight.values(), running, this.slots);
    for (const unit of worker.inFlight.values()) this.ledger.returned(unit);
    worker.inFlight.clear();
    for (const unit of finished) this.ledger.settle(unit, true, this.slots.numberValue(unit.job.slot));
    for (const unit of crashed) this.ledger.failHere(unit, crashError(unit, exit));
    this.queue.unshiftAll(requeue);
    if (!stoppedByUs && crashed.length === 0 && requeue.length > 0) this.startupCrashes++;
    if (this.startupCrashes >= MAX_STARTUP_CRASHES) {
      this.breakPool(
        new WorkerCrashError(
          `Workers keep dying before finishing any task (${MAX_STARTUP_CRASHES} in a row; last exit code ${exit.code}); the pool stopped replacing them`,
          { kernel: '(startup)', exitCode: exit.code, cause: exit.error },
        ),
      );
      return;
    }
    if (!this.broken && this.state !== 'terminated' && (this.state === 'open' || this.queue.length > 0)) this.spawn();
    if (this.queue.length > 0) this.batcher.schedule();
    if (this.state === 'closing') this.maybeFinishClose();
  }

  private retire(worker: WorkerSlot): void {
    void this.pool.stop(worker);
    if (this.state === 'open') this.spawn();
  }

  private spawn(): void {
    this.pool.spawn(
      (worker, message) => this.onMessage(worker, message),
      (worker, exit) => this.workerGone(worker, exit),
    );
  }

  private breakPool(error: Error): void {
    if (this.broken) return;
    this.broken = error;
    this.failEverything(() => error);
    if (this.state === 'closing') this.maybeFinishClose();
  }

  /** Fails every queued and running unit, and stops every worker. */
  private failEverything(error: (started: boolean) => Error): Promise<void> {
    for (const unit of this.queue.drain()) this.ledger.failHere(unit, error(false));
    for (const worker of this.pool.live) {
      for (const unit of worker.inFlight.values()) {
        this.ledger.returned(unit);
        this.ledger.failHere(unit, error(true));
      }
      worker.inFlight.clear();
    }
    this.deadlines.clear();
    return this.pool.stopAll();
  }

  // ---- lifecycle ----------------------------------------------------------------

  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.maybeFinishClose();
  }

  private maybeFinishClose(): void {
    if (this.queue.length > 0 || this.pool.live.some((w) => w.inFlight.size > 0)) return;
    void this.pool.stopAll();
  }

  async terminate(): Promise<void> {
    if (this.state !== 'terminated') {
      this.state = 'terminated';
      await this.failEverything((started) => new CancelledError(`The pool was terminated before the task ${started ? 'finished' : 'started'}`));
    }
    return this.join();
  }

  /** Resolves once every worker this pool started has exited. */
  async join(): Promise<void> {
    if (this.state === 'open') throw new PoolStateError('join() was called before close() or terminate(); call one of them first');
    await this.pool.joinAll();
  }
}
