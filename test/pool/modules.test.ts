import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Pool, TaskError } from 'wasmpool';
import { BOUND_WASM, FAULTS_WASM, HANDSHAKES, JS_TASKS, rejection, thrown } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('task modules', () => {
  it('defaults to the built-in kernels and to one worker per available core', async () => {
    pool = new Pool();
    expect(pool.workers).toBe(availableParallelism());
    expect(await pool.apply('add', [1, 2])).toBe(3);
    expect(pool.memory).toBeInstanceOf(WebAssembly.Memory);
  });

  it('loads a JavaScript module by path or file URL', async () => {
    pool = new Pool({ workers: 1, module: pathToFileURL(JS_TASKS) });
    expect(await pool.apply('add', ['a', 'b'])).toBe('ab');
  });

  it('takes a .wasm path, its bytes, or a compiled WebAssembly.Module', async () => {
    const bytes = readFileSync(FAULTS_WASM);
    for (const module of [
      FAULTS_WASM,
      new Uint8Array(bytes),
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      new WebAssembly.Module(bytes),
    ]) {
      pool = new Pool({ workers: 1, module });
      expect(await pool.apply('ok', [1])).toBe(2);
      await pool.terminate();
    }
    pool = undefined;
  });

  it('uses AssemblyScript raw bindings beside the .wasm for typed arrays and strings', async () => {
    pool = new Pool({ workers: 1, module: BOUND_WASM });
    expect(await pool.apply('greet', ['wasm'])).toBe('Hello, wasm!');
    const scaled = await pool.apply<Float64Array>('scaleArray', [new Float64Array([1, 2, 3]), 2]);
    expect([...scaled]).toEqual([2, 4, 6]);
    expect(await pool.apply('plain', [6, 7])).toBe(42);
    expect(await pool.map('greet', ['a', 'b'])).toEqual(['Hello, a!', 'Hello, b!']);
  });

  it('checks plain WASM arguments against the kernel signature before dispatch', () => {
    pool = new Pool({ workers: 1, module: FAULTS_WASM });
    expect(thrown(() => pool!.applyAsync('ok', [])).message).toBe('Kernel `ok` takes 1 argument (i32), got 0 in `args`');
    expect(thrown(() => pool!.applyAsync('ok', [1.5]))).toBeInstanceOf(RangeError);
    expect(thrown(() => pool!.applyAsync('i64Add', [1, 2])).message).toMatch(/`args\[0\]`.*a bigint \(i64\), got 1/);
    expect(thrown(() => pool!.mapAsync('ok', [1, 2, 'x'])).message).toMatch(/`items\[2\]\[0\]`/);
  });

  it('passes i64 as bigint and f32 as number', async () => {
    pool = new Pool({ workers: 1, module: FAULTS_WASM });
    expect(await pool.apply('i64Add', [2n ** 40n, 1n])).toBe(2n ** 40n + 1n);
    expect(await pool.apply('takesF32', [1.5])).toBe(3);
  });

  it('rejects a module that does not exist, is not WASM, or needs imports the pool cannot give', () => {
    expect(thrown(() => new Pool({ module: '/nonexistent/tasks.wasm' })).message).toMatch(/does not exist/);
    expect(thrown(() => new Pool({ module: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) })).message).toMatch(/is not one/);
    expect(thrown(() => new Pool({ module: JS_TASKS.replace(/\.mjs$/, '.txt') })).message).toMatch(/does not exist/);
    // A minimal module importing `other.thing`: \0asm, version, a type section, an import section.
    const importing = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 15, 1, 5, 111, 116, 104, 101, 114, 5, 116, 104, 105, 110, 103, 0, 0]);
    expect(thrown(() => new Pool({ module: importing })).message).toMatch(/imports `other.thing`.*does not provide/);
  });
});

describe('initializer, initargs, maxTasksPerWorker', () => {
  // Kills: the initializer called twice in a worker, and the initializer sent only to the first worker. The
  // two items meet inside the kernel (each waits until both run), so each is on its own worker.
  it('runs the initializer exactly once in every worker, with its initargs, before its tasks', async () => {
    pool = new Pool({ workers: 2, module: HANDSHAKES, initializer: 'countInit', initargs: [42] });
    const meeting = new SharedArrayBuffer(4);
    const seen = await pool.starmap<{ threadId: number; initCalls: number; initValue: number }>(
      'meet',
      [
        [meeting, 2],
        [meeting, 2],
      ],
      { chunksize: 1 },
    );
    expect(new Set(seen.map((s) => s.threadId)).size).toBe(2);
    expect(seen.map((s) => [s.initCalls, s.initValue])).toEqual([
      [1, 42],
      [1, 42],
    ]);
  });

  it('an initializer that throws fails the tasks with a clear error instead of respawning forever', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS, initializer: 'setupFails' });
    const error = await rejection(pool.applyAsync('add', [1, 2]));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toMatch(/initializer `setupFails` failed in a worker: initializer refused/);
    const later = await rejection(pool.applyAsync('add', [1, 2]));
    expect(later.message).toBe(error.message);
  });

  it('rejects an initializer that the module does not export', () => {
    expect(thrown(() => new Pool({ module: FAULTS_WASM, initializer: 'nope' })).message).toMatch(/`initializer`.*"nope".*exports: ok/);
  });

  it('replaces a worker after maxTasksPerWorker units', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS, maxTasksPerWorker: 2 });
    const threads: number[] = [];
    for (let i = 0; i < 6; i++) threads.push(await pool.apply<number>('whoAmI'));
    expect(new Set(threads).size).toBe(3);
    expect(threads[0]).toBe(threads[1]);
    expect(threads[1]).not.toBe(threads[2]);
  });
});
