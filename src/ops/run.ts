import { AsyncResult } from '../async-result.js';
import { TimeoutError } from '../errors.js';
import { ResultState, type ResultSource } from '../result-state.js';

/**
 * One stage of an operation: every part of it dispatched at once (an AsyncResult), or run already on the calling
 * thread (`{ ran }`, for work too small to be worth a round trip); the operation resumes with its value.
 */
export type Stage = AsyncResult<unknown> | { readonly ran: unknown };

/**
 * An operation as a generator: it yields each stage it dispatched and is resumed with the stage's value (or
 * its error), and returns the operation's value. Between stages it runs on the calling thread: combining
 * partial results, computing the next stage's inputs.
 */
export type OpSteps<T> = Generator<Stage, T, unknown>;

/**
 * Drives an OpSteps to its end and is the ResultSource of the AsyncResult the caller holds. Awaited, it
 * resumes as each stage settles; getSync() blocks on the current stage and resumes at once, stage by stage,
 * on the calling thread. Whichever path takes a stage first resumes the steps; the other finds the stage no
 * longer current and does nothing, so the steps run exactly once each.
 */
class OpDriver<T> implements ResultSource {
  readonly state = new ResultState<T>();
  readonly #steps: OpSteps<T>;
  #current: AsyncResult<unknown> | undefined;

  constructor(steps: OpSteps<T>) {
    this.#steps = steps;
  }

  /** Runs the steps up to their first stage; an error before any stage is thrown to the caller. */
  start(): void {
    const first = this.#steps.next();
    this.#follow(first);
  }

  finished(): boolean {
    return false; // only the last stage's value settles the state, and that is collect()'s job
  }

  collect(): void {
    // Take in every stage that has already finished, without blocking.
    while (this.state.pending && this.#current?.ready()) {
      const stage = this.#current;
      let value: unknown;
      try {
        value = stage.getSync(0);
      } catch (error) {
        if (error instanceof TimeoutError) return; // finished, but its value is still on its way by message
        this.#resume(stage, false, error);
        continue;
      }
      this.#resume(stage, true, value);
    }
  }

  block(state: ResultState, timeout: number | undefined, needValue: boolean): boolean {
    void needValue; // an operation has no value until its steps end, so both kinds of wait are the same
    const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
    while (state.pending) {
      const stage = this.#current!;
      const left = deadline - performance.now();
      if (left < 0) return false;
      let value: unknown;
      try {
        value = stage.getSync(deadline === Infinity ? undefined : left);
      } catch (error) {
        if (error instanceof TimeoutError && !stage.ready()) return false;
        this.#resume(stage, false, error);
        continue;
      }
      this.#resume(stage, true, value);
    }
    return true;
  }

  /** Resumes the steps with `stage`'s outcome, if it is still the current stage. */
  #resume(stage: AsyncResult<unknown>, ok: boolean, value: unknown): void {
    if (this.#current !== stage) return;
    this.#current = undefined;
    let next: IteratorResult<Stage, T>;
    try {
      next = ok ? this.#steps.next(value) : this.#steps.throw(value);
    } catch (error) {
      this.state.settle(false, error);
      return;
    }
    this.#follow(next);
  }

  #follow(next: IteratorResult<Stage, T>): void {
    // Stages that ran on this thread resume the steps at once, in a loop (no recursion, however many).
    while (!next.done && !(next.value instanceof AsyncResult)) {
      try {
        next = this.#steps.next(next.value.ran);
      } catch (error) {
        this.state.settle(false, error);
        return;
      }
    }
    if (next.done) {
      this.state.settle(true, next.value);
      return;
    }
    const stage = next.value as AsyncResult<unknown>;
    this.#current = stage;
    stage.then(
      (value) => this.#resume(stage, true, value),
      (error: unknown) => this.#resume(stage, false, error),
    );
  }
}

/** Starts `steps` and returns the AsyncResult of its value. Errors before the first stage are thrown here. */
export function runOp<T>(steps: OpSteps<T>): AsyncResult<T> {
  const driver = new OpDriver<T>(steps);
  driver.start();
  return new AsyncResult<T>(driver.state, driver);
}
