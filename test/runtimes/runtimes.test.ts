// Node, Bun and Deno each run test/runtimes/scripts/scenarios.mjs (the same file, unchanged); the answers
// below are the same for all three, and a final test checks the three reports agree.
import { beforeAll, describe, expect, it } from 'vitest';
import { SCRIPTS, runScript, runtimes, versionOf, type Runtime } from './runtimes.js';

interface SettledError {
  error: { name: string; instanceOf: string[]; message: string };
}

type Report = Record<string, Record<string, unknown>>;

/** Runs every scenario in one process per runtime; a scenario that threw is a failure of its own test. */
async function runScenarios(runtime: Runtime): Promise<Report> {
  const out = await runScript(runtime, `${SCRIPTS}scenarios.mjs`);
  const report: Report = {};
  for (const line of out.split('\n').filter((l) => l.startsWith('{'))) {
    const entry = JSON.parse(line) as { scenario: string; result?: Record<string, unknown>; failure?: { message: string; stack?: string } };
    report[entry.scenario] = entry.result ?? { failure: entry.failure };
  }
  return report;
}

function errorOf(value: unknown, className: string): SettledError['error'] {
  const settled = value as Partial<SettledError>;
  expect(settled.error, `expected a ${className}, got ${JSON.stringify(value)}`).toBeDefined();
  expect(settled.error!.instanceOf).toEqual([className]);
  expect(settled.error!.name).toBe(className);
  return settled.error!;
}

const reports = new Map<string, Report>();

for (const runtime of runtimes()) {
  describe(`${runtime.name}`, () => {
    let report: Report;
    beforeAll(async () => {
      process.stdout.write(`[runtime suite] ${runtime.name}: ${runtime.binary} — ${await versionOf(runtime)}\n`);
      report = await runScenarios(runtime);
      reports.set(runtime.name, report);
    }, 180_000);

    const scenario = (name: string): Record<string, unknown> => {
      const result = report[name];
      expect(result, `scenario ${name} printed nothing`).toBeDefined();
      expect(result.failure, `scenario ${name} threw`).toBeUndefined();
      return result;
    };

    it('runs the quick start: apply, map, and getSync on an applyAsync', () => {
      expect(scenario('quickStart')).toEqual({ sum: 3, squares: [1, 4, 9], getSync: 42, readyIsBoolean: true, successful: true });
    });

    it('runs built-in kernels on pool.alloc arrays in place (sum, scale of a subarray, dot)', () => {
      expect(scenario('sharedArrays')).toEqual({ sum: 500_500, scaledHead: [2, 4, 6], untouched: 11, dot: 20 });
    });

    it('getSync() from synchronous code as the first call on a fresh pool', () => {
      expect(scenario('getSyncFresh')).toEqual({ value: 42, squares: [1, 4, 9, 16] });
    });

    it('a per-task timeout stops loopForever with TimeoutError; exactly one replacement worker runs the next task', () => {
      const result = scenario('timeout');
      expect(errorOf(result.runaway, 'TimeoutError').message).toMatch(/`loopForever` ran past its timeout of 100 ms/);
      expect(result.next).toBe(5);
      expect(result.workers).toBe(1);
    });

    it('a worker that exits mid-task fails it with WorkerCrashError; the pool heals to its size', () => {
      const result = scenario('crash');
      expect(errorOf(result.exited, 'WorkerCrashError').message).toMatch(/kernel `exit` died with exit code 3/);
      expect(result.afterExit).toBe(2);
      expect(result.others).toEqual([11, 12, 13]);
      expect(result.workers).toBe(1);
    });

    it('runs a JavaScript task module: sync and async kernels, a throw as TaskError, typed arrays by clone', () => {
      const result = scenario('jsModule');
      expect(result).toMatchObject({ sum: 42, later: 3, mapped: [3, 7], typed: { type: 'object', tag: '[object Float64Array]', length: 3 } });
      expect(errorOf(result.thrown, 'TaskError').message).toBe('no luck');
    });

    it('imap yields in order; imapUnordered yields every result', () => {
      const squares = [1, 4, 9, 16, 25, 36, 49, 64];
      expect(scenario('imap')).toEqual({ ordered: squares, unordered: squares });
    });

    it('WASM traps and AssemblyScript aborts fail their own task with TaskError; the same worker goes on', () => {
      const result = scenario('wasmFaults');
      // The trap text is the engine's own: V8 (Node, Deno) and JavaScriptCore (Bun) word it differently.
      expect(errorOf(result.trap, 'TaskError').message).toMatch(/^Kernel `unreachableTrap` trapped: (unreachable|Unreachable code should not be executed)$/);
      expect(errorOf(result.outOfBounds, 'TaskError').message).toMatch(
        /^Kernel `outOfBounds` trapped: (memory access out of bounds|Out of bounds memory access)$/,
      );
      expect(errorOf(result.aborted, 'TaskError').message).toBe('x must not be positive');
      expect(result).toMatchObject({ after: 42, workers: 1 });
    });

    it('runs an AssemblyScript module through its generated bindings (typed arrays and strings)', () => {
      expect(scenario('bindings')).toEqual({ scaled: [2, 4, 6], scaledTag: '[object Float64Array]', greeting: 'Hello, Bun!' });
    });

    it('an error thrown outside any task kills the worker mid-task: WorkerCrashError each time, and the pool heals', () => {
      const result = scenario('uncaught');
      for (const outcome of [result.crashed, result.again]) {
        expect(errorOf(outcome, 'WorkerCrashError').message).toMatch(/kernel `crashPending` died: deliberate crash outside the task/);
      }
      expect(result.workers).toBe(1);
    });

    it('an AbortSignal cancels a running task (stopping its worker) and a queued one with CancelledError', () => {
      const result = scenario('abortSignal');
      const [running, queued] = result.outcomes as unknown[];
      expect(errorOf(running, 'CancelledError').message).toBe('The task was cancelled by its AbortSignal while running; its worker was stopped');
      expect(errorOf(queued, 'CancelledError').message).toBe('The task was cancelled by its AbortSignal before it started');
      expect(result).toMatchObject({ next: 4, workers: 1 });
    });

    it('runs the initializer in every worker before its first task; maxTasksPerWorker replaces a worker after its quota', () => {
      expect(scenario('workerLifecycle')).toEqual({ initialised: [7, 7, 7, 7], threadsFor6TasksAt2Each: 3 });
    });

    it('ready() turns true from the shared flag while the caller never yields', () => {
      expect(scenario('readyWithoutYielding')).toEqual({ polledBeforeReady: true, successful: true, spunAtLeastOnce: true });
    });

    it('terminate() with work running and queued cancels every result; submitting afterwards throws PoolStateError', () => {
      const result = scenario('terminateQueued');
      const outcomes = result.outcomes as unknown[];
      expect(outcomes).toHaveLength(5);
      for (const outcome of outcomes)
        expect(errorOf(outcome, 'CancelledError').message).toMatch(/^The pool was terminated before the task (started|finished)$/);
      expect((result.submit as SettledError['error']).instanceOf).toEqual(['PoolStateError']);
      expect(result.state).toBe('terminated');
      expect(result.workers).toBe(0);
    });
  });
}

describe('the three runtimes', () => {
  it("print the same report, error messages included (but the engines' own trap texts, and whether terminate() found a task started)", () => {
    const normalise = (report: Report | undefined): string =>
      JSON.stringify(report)
        .replace(/before the task (started|finished)/g, 'before the task ended')
        .replace(/trapped: [^"]*/g, 'trapped: (engine text)');
    expect(reports.size).toBe(3);
    expect(normalise(reports.get('bun'))).toBe(normalise(reports.get('node')));
    expect(normalise(reports.get('deno'))).toBe(normalise(reports.get('node')));
  });
});
