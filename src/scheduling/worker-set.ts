import type { MainToWorker, WorkerToMain } from '../abi/protocol.js';
import type { SpawnOptions, Transport, WorkerExit } from '../transport/types.js';
import { WorkerSlot } from './worker-slot.js';

/** What every new worker is told first. */
export type InitMessage = Omit<Extract<MainToWorker, { type: 'init' }>, 'control'>;

/**
 * The live workers and the mechanics of starting and stopping them; which worker to stop and what
 * happens to its units is the dispatcher's business.
 */
export class WorkerSet {
  readonly live: WorkerSlot[] = [];
  /** One promise per worker ever started, resolved when its thread has exited (what join() awaits). */
  private readonly exits: Promise<void>[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly init: InitMessage,
    private readonly options: SpawnOptions | undefined,
  ) {}

  /** Starts a worker; its init message is queued on its port before the thread even runs. */
  spawn(onMessage: (worker: WorkerSlot, message: WorkerToMain) => void, onExit: (worker: WorkerSlot, exit: WorkerExit) => void): WorkerSlot {
    const worker = new WorkerSlot();
    this.exits.push(new Promise<void>((resolve) => (worker.exited = resolve)));
    worker.handle = this.transport.spawn(
      {
        message: (message) => onMessage(worker, message),
        exit: (exit) => {
          if (this.live.includes(worker)) onExit(worker, exit);
          worker.exited();
        },
      },
      this.options,
    );
    worker.handle.post({ ...this.init, control: worker.control });
    this.live.push(worker);
    return worker;
  }

  /** Takes a worker out of service (it gets no more units); returns false if it already was. */
  remove(worker: WorkerSlot): boolean {
    const wasLive = !worker.gone;
    worker.gone = true;
    const at = this.live.indexOf(worker);
    if (at >= 0) this.live.splice(at, 1);
    return wasLive;
  }

  /** Removes and terminates a worker. */
  stop(worker: WorkerSlot): Promise<void> {
    this.remove(worker);
    return worker.handle.terminate();
  }

  stopAll(): Promise<void> {
    return Promise.all([...this.live].map((worker) => this.stop(worker))).then(() => undefined);
  }

  /** Resolves once every worker ever started has exited, including replacements started meanwhile. */
  async joinAll(): Promise<void> {
    for (let seen = 0; seen < this.exits.length; seen = this.exits.length) {
      await Promise.all(this.exits.slice(seen));
    }
  }
}
