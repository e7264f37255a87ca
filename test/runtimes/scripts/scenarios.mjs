// The runtime suite's scenarios, one script that Node, Bun and Deno each run as it is (plain ESM, no
// `await using`, nothing runtime-specific). Prints one JSON line per scenario: { scenario, result } or
// { scenario, failure }. The test (test/runtimes/runtimes.test.ts) holds the expected values, so the
// three runtimes are held to the same answers.
//
// Usage: <runtime> scenarios.mjs [scenario ...]   (no names: every scenario, in order)
import { CancelledError, Pool, PoolStateError, TaskError, TimeoutError, WorkerCrashError } from '../../../dist/index.js';

const JS_TASKS = new URL('../../fixtures/js/tasks.mjs', import.meta.url);
const FAULTS_WASM = new URL('../../../build/fixtures/faults.wasm', import.meta.url);
const SUITE_TASKS = new URL('./tasks.mjs', import.meta.url);
const BOUND_WASM = new URL('../../../build/fixtures/bound.wasm', import.meta.url);

/** An error as data: which wasmpool class it is (by instanceof, the check callers write) and its message. */
function describeError(error) {
  const classes = { CancelledError, PoolStateError, TaskError, TimeoutError, WorkerCrashError };
  const instanceOf = Object.keys(classes).filter((name) => error instanceof classes[name]);
  return { name: error?.name, instanceOf, message: String(error?.message) };
}

async function settle(promise) {
  try {
    return { value: await promise };
  } catch (error) {
    return { error: describeError(error) };
  }
}

/** Runs `body` with a fresh pool and always terminates it: the Node 20 form of `await using`. */
async function withPool(options, body) {
  const pool = new Pool(options);
  try {
    return await body(pool);
  } finally {
    await pool.terminate();
  }
}

const scenarios = {
  /** The README quick start, as a user would first try it. */
  quickStart: () =>
    withPool({ workers: 2 }, async (pool) => {
      const sum = await pool.apply('add', [1, 2]);
      const squares = await pool.map('square', [1, 2, 3]);
      const result = pool.applyAsync('add', [40, 2]);
      const readyIsBoolean = typeof result.ready() === 'boolean';
      return { sum, squares, getSync: result.getSync(), readyIsBoolean, successful: result.successful() };
    }),

  /** Built-in kernels reading and writing pool.alloc arrays in place. */
  sharedArrays: () =>
    withPool({ workers: 2 }, async (pool) => {
      const x = pool.alloc(Float64Array, 1000);
      for (let i = 0; i < x.length; i++) x[i] = i + 1;
      const sum = await pool.apply('sumF64', [x]);
      await pool.apply('scaleF64', [2, x.subarray(0, 10)]);
      const scaledHead = Array.from(x.subarray(0, 3));
      const untouched = x[10];
      const dot = await pool.apply('dotF64', [x.subarray(0, 2), x.subarray(0, 2)]);
      pool.free(x);
      return { sum, scaledHead, untouched, dot };
    }),

  /** getSync() from synchronous code as the very first call on a brand-new pool. */
  getSyncFresh: () =>
    withPool({ workers: 2 }, (pool) => {
      const value = pool.applyAsync('add', [20, 22]).getSync();
      const squares = pool.mapAsync('square', [1, 2, 3, 4]).getSync();
      return { value, squares };
    }),

  /** A per-task timeout stops a kernel that never returns; its worker is replaced and work goes on. */
  timeout: () =>
    withPool({ workers: 1 }, async (pool) => {
      const runaway = await settle(pool.apply('loopForever', [], { timeout: 100 }));
      const next = await pool.apply('add', [2, 3]);
      return { runaway, next, workers: pool.workers };
    }),

  /** A worker that dies fails the task it was running with WorkerCrashError; a fresh one takes over. */
  crash: () =>
    withPool({ workers: 1, module: JS_TASKS }, async (pool) => {
      const exited = await settle(pool.apply('exit', [3]));
      const afterExit = await pool.apply('add', [1, 1]);
      const others = await Promise.all([1, 2, 3].map((i) => pool.apply('add', [i, 10])));
      return { exited, afterExit, others, workers: pool.workers };
    }),

  /** A JavaScript task module: sync and async kernels, a throw, structured-clone arguments. */
  jsModule: () =>
    withPool({ workers: 2, module: JS_TASKS }, async (pool) => {
      const sum = await pool.apply('add', [2, 40]);
      const later = await pool.apply('addLater', [1, 2]);
      const thrown = await settle(pool.apply('fail', ['no luck']));
      const typed = await pool.apply('describeValue', [new Float64Array([1, 2, 3])]);
      const mapped = await pool.starmap('add', [
        [1, 2],
        [3, 4],
      ]);
      return { sum, later, thrown, typed, mapped };
    }),

  /** imap in order, imapUnordered as they finish. */
  imap: () =>
    withPool({ workers: 2 }, async (pool) => {
      const ordered = [];
      for await (const value of pool.imap('square', [1, 2, 3, 4, 5, 6, 7, 8])) ordered.push(value);
      const unordered = [];
      for await (const value of pool.imapUnordered('square', [1, 2, 3, 4, 5, 6, 7, 8])) unordered.push(value);
      return { ordered, unordered: unordered.sort((a, b) => a - b) };
    }),

  /** WASM traps, aborts and throws fail their own task with TaskError; the same worker goes on. */
  wasmFaults: () =>
    withPool({ workers: 1, module: FAULTS_WASM }, async (pool) => {
      const trap = await settle(pool.apply('unreachableTrap'));
      const outOfBounds = await settle(pool.apply('outOfBounds'));
      const aborted = await settle(pool.apply('aborts', [3]));
      const after = await pool.apply('ok', [41]);
      return { trap, outOfBounds, aborted, after, workers: pool.workers };
    }),

  /** An AssemblyScript module with its generated bindings: typed arrays and strings in and out. */
  bindings: () =>
    withPool({ workers: 1, module: BOUND_WASM }, async (pool) => {
      const scaled = await pool.apply('scaleArray', [new Float64Array([1, 2, 3]), 2]);
      const greeting = await pool.apply('greet', ['Bun']);
      return { scaled: Array.from(scaled), scaledTag: Object.prototype.toString.call(scaled), greeting };
    }),

  /** An error thrown outside any task kills its worker mid-task: WorkerCrashError, and the pool heals. */
  uncaught: () =>
    withPool({ workers: 1, module: SUITE_TASKS }, async (pool) => {
      const crashed = await settle(pool.apply('crashPending'));
      const again = await settle(pool.apply('crashPending'));
      return { crashed, again, workers: pool.workers };
    }),

  /** An AbortSignal cancels a running task (its worker is stopped) and a queued one. */
  abortSignal: () =>
    withPool({ workers: 1, module: JS_TASKS }, async (pool) => {
      const controller = new AbortController();
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const running = pool.applyAsync('announceThenLoop', [flag.buffer], { signal: controller.signal });
      const queued = pool.applyAsync('add', [1, 2], { signal: controller.signal });
      // Handshake: the kernel sets the flag once it runs, so the abort below hits a running task.
      const started = Atomics.waitAsync(flag, 0, 0, 30_000);
      if (started.async && (await started.value) === 'timed-out') throw new Error('announceThenLoop never started');
      controller.abort();
      const outcomes = await Promise.all([running, queued].map((result) => settle(result.get())));
      return { outcomes, next: await pool.apply('add', [2, 2]), workers: pool.workers };
    }),

  /** initializer runs in every worker first; maxTasksPerWorker replaces a worker after its quota. */
  workerLifecycle: async () => {
    const initialised = await withPool({ workers: 2, module: JS_TASKS, initializer: 'setup', initargs: [7] }, async (pool) =>
      (await pool.map('readSetup', [0, 1, 2, 3])).map((setup) => setup?.value),
    );
    const threads = await withPool({ workers: 1, module: JS_TASKS, maxTasksPerWorker: 2 }, async (pool) => {
      const ids = [];
      for (let i = 0; i < 6; i++) ids.push(await pool.apply('whoAmI'));
      return new Set(ids).size;
    });
    return { initialised, threadsFor6TasksAt2Each: threads };
  },

  /** ready() turns true while this thread never yields; waitSync() then returns at once. */
  readyWithoutYielding: () =>
    withPool({ workers: 1 }, async (pool) => {
      await pool.apply('add', [0, 0]); // the worker is up, so the loop below measures the task alone
      const result = pool.applyAsync('spin', [50]);
      let polls = 0;
      while (!result.ready()) polls++;
      result.waitSync();
      return { polledBeforeReady: polls > 0, successful: result.successful(), spunAtLeastOnce: result.getSync() > 0 };
    }),

  /** terminate() with one task running and more queued: every one fails with CancelledError. */
  terminateQueued: async () => {
    const pool = new Pool({ workers: 1 });
    const running = pool.applyAsync('spin', [10_000]);
    const queued = [1, 2, 3].map((i) => pool.applyAsync('add', [i, i]));
    const mapped = pool.mapAsync('square', [1, 2, 3]);
    await pool.terminate();
    const outcomes = await Promise.all([running, ...queued, mapped].map((result) => settle(result.get())));
    let submit;
    try {
      pool.applyAsync('add', [1, 2]);
      submit = 'accepted';
    } catch (error) {
      submit = describeError(error);
    }
    await pool.join();
    return { outcomes, submit, state: pool.state, workers: pool.workers };
  },
};

const names = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
for (const name of names) {
  if (!(name in scenarios)) throw new TypeError(`Unknown scenario \`${name}\`; the scenarios are: ${Object.keys(scenarios).join(', ')}`);
}
for (const scenario of names.length > 0 ? names : Object.keys(scenarios)) {
  try {
    const result = await scenarios[scenario]();
    process.stdout.write(JSON.stringify({ scenario, result }) + '\n');
  } catch (error) {
    process.stdout.write(JSON.stringify({ scenario, failure: { ...describeError(error), stack: error?.stack } }) + '\n');
  }
}
