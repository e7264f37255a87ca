import { afterEach, describe, expect, it } from 'vitest';
import { parallelSort, Pool, TaskError } from 'wasmpool';
import { JS_TASKS, rejection, thrown } from '../helpers.js';

/**
 * Careless and hostile input on a local pool (issue 21, "Local API"): the caller's own arrays detached while a
 * task runs, time arguments past setTimeout's limit, unknown kernel names, and getters that throw. Each fails
 * its own call or task with an error naming the argument; none reaches the pool's message handler or a worker.
 */

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

/** Transfers `array`'s buffer away, as a caller posting it to another thread does: the array reads as empty. */
function detach(array: Float64Array): void {
  structuredClone(array.buffer, { transfer: [array.buffer] });
  expect(array.byteLength).toBe(0);
}

const DETACHED_AT_END = /^Expected `(.+)` to still be attached when the task finished, but its buffer was detached \(transferred away/;

describe("the caller's arrays cannot hurt the pool (finding 6)", () => {
  it('applyAsync: an argument detached while the task runs fails that task by name, and the pool goes on', async () => {
    pool = new Pool({ workers: 1 });
    const values = new Float64Array(1000).fill(1);
    const failures: Error[] = [];
    const result = pool.applyAsync('scaleF64', [2, values], { errorCallback: (error) => failures.push(error) });
    detach(values);
    const error = await rejection(result.get());
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(DETACHED_AT_END);
    expect(error.message).toMatch(/^Expected `args\[1\]`/);
    expect(error.message).toMatch(/keep the array and its buffer as they are until the task settles, or pass a view from pool.alloc\(\)$/);
    await pool.onIdle();
    expect(failures).toEqual([error]);
    // Nothing leaked, and the next task with a live array succeeds.
    expect(pool.stats().slotsInUse).toBe(0);
    expect(await pool.apply('sumF64', [new Float64Array(10).fill(1)])).toBe(10);
  });

  it('getSync settles with the same error instead of blocking for ever', () => {
    pool = new Pool({ workers: 1 });
    const values = new Float64Array(1000).fill(1);
    const result = pool.applyAsync('sumF64', [values]);
    detach(values);
    const error = thrown(() => result.getSync(20_000));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(DETACHED_AT_END);
    expect(result.ready()).toBe(true);
    expect(result.successful()).toBe(false);
  });

  it('starmapAsync and mapAsync name the item whose array was detached; the others are not written half-way', async () => {
    pool = new Pool({ workers: 2 });
    const kept = new Float64Array(8).fill(1);
    const lost = new Float64Array(8).fill(1);
    const star = pool.starmapAsync('scaleF64', [
      [3, kept],
      [3, lost],
    ]);
    detach(lost);
    const error = await rejection(star.get());
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^Expected `items\[1\]\[1\]` to still be attached/);
    // Checked before any copy-back: the task failed whole, so the live array was not updated either.
    expect([...kept]).toEqual(new Array(8).fill(1));

    const items = [new Float64Array(4).fill(1), new Float64Array(4).fill(2)];
    const mapped = pool.mapAsync('sumF64', items);
    detach(items[1]);
    const mapError = thrown(() => mapped.getSync(20_000));
    expect(mapError.message).toMatch(/^Expected `items\[1\]` to still be attached/);
    expect(await pool.map('sumF64', [new Float64Array(4).fill(1)])).toEqual([4]);
  });

  it('istarmap: each chunk is copied back before the loop sees it, and a detached one throws at its position', async () => {
    pool = new Pool({ workers: 1 });
    const arrays = Array.from({ length: 4 }, () => new Float64Array(4).fill(1));
    const seen: number[][] = [];
    const loop = (async () => {
      let i = 0;
      for await (const value of pool!.istarmap(
        'scaleF64',
        arrays.map((array) => [2, array]),
      )) {
        expect(value).toBeUndefined();
        seen.push([...arrays[i++]]); // the kernel's writes are already in the caller's array
      }
    })();
    detach(arrays[1]);
    const error = await rejection(loop);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^Expected `items\[1\]\[1\]` to still be attached when the task finished/);
    expect(seen).toEqual([[2, 2, 2, 2]]);
  });

  it('parallelSort: an array detached between rounds stops the sort with what happened', async () => {
    const real = new Pool({ workers: 2 });
    pool = real;
    const values = Float64Array.from({ length: 1000 }, (_, i) => 1000 - i);
    let rounds = 0;
    // The pool as parallelSort sees it; the caller detaches the array as soon as the first round is back.
    const host = {
      get workers() {
        return real.workers;
      },
      memory: real.memory,
      alloc: real.alloc.bind(real),
      free: real.free.bind(real),
      starmap: async (kernel: string, items: Iterable<readonly unknown[]>, options?: object) => {
        const results = await real.starmap(kernel, items, options);
        if (rounds++ === 0) detach(values);
        return results;
      },
    } as unknown as Pool;
    const error = await rejection(parallelSort(host, values));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^Expected `values` to stay attached while parallelSort ran, but its buffer was detached/);
    await real.onIdle(); // a round's last completion entries may still be on their way
    expect(real.stats().slotsInUse).toBe(0);
  });

  it('an array detached before the call is refused at the call, naming it, and nothing is queued', () => {
    pool = new Pool({ workers: 1 });
    const values = new Float64Array(16);
    detach(values);
    const error = thrown(() => pool!.applyAsync('sumF64', [values]));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^Expected `args\[0\]` of kernel `sumF64` to be a usable Float64Array, but its buffer was detached/);
    const mapError = thrown(() => pool!.starmapAsync('sumF64', [[new Float64Array(2)], [values]]));
    expect(mapError.message).toMatch(/^Expected `items\[1\]\[0\]` of kernel `sumF64` to be a usable Float64Array/);
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0 });
  });
});

describe('every time argument is at most 2^31 - 1 ms (finding 7)', () => {
  const LIMIT = 2 ** 31 - 1;

  it('get, getSync and waitSync refuse a longer timeout at the call, and wait() rejects with it, naming it', async () => {
    pool = new Pool({ workers: 1 });
    const result = pool.applyAsync('add', [1, 2]);
    const message = /^Expected `timeout` to be at most 2147483647 ms, got /;
    for (const call of [() => result.get(LIMIT + 1), () => result.getSync(LIMIT + 1), () => result.waitSync(LIMIT + 0.5)]) {
      const error = thrown(call);
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toMatch(message);
    }
    const waited = await rejection(result.wait(2 ** 40));
    expect(waited).toBeInstanceOf(RangeError);
    expect(waited.message).toMatch(message);
    expect(result.getSync(LIMIT)).toBe(3);
  });

  it('get(2^31 - 1) waits for the value (it does not time out at once)', async () => {
    pool = new Pool({ workers: 1 });
    await expect(pool.applyAsync('spin', [30]).get(LIMIT)).resolves.toBeGreaterThan(0);
    await expect(pool.applyAsync('add', [1, 2]).wait(LIMIT)).resolves.toBeUndefined();
  });
});

describe('unknown kernel names are never stored (finding 8)', () => {
  it('a WASM module: an unknown name fails at once, listing the exports, without a round trip to a worker', async () => {
    pool = new Pool({ workers: 1 });
    const result = pool.applyAsync('noSuchKernel', [1]);
    expect(result.ready()).toBe(true); // refused on this thread: no worker was asked
    const error = await rejection(result.get());
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).kernel).toBe('noSuchKernel');
    expect(error.message).toMatch(/^Unknown kernel `noSuchKernel`; the module exports: .*\bsumF64\b/);
    expect(error.message).not.toMatch(/__/);
    const mapped = pool.mapAsync('noSuchKernel', [1, 2, 3]);
    expect(mapped.ready()).toBe(true);
    expect((await rejection(mapped.get())).message).toMatch(/^Unknown kernel `noSuchKernel`/);
    expect(await pool.apply('add', [1, 2])).toBe(3);
  });

  it('a JS module: once a worker has loaded it, unknown names are refused on this thread too', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    // A string comes back by message, on the port the worker reported its exports on before it (a number would
    // come through shared memory, maybe before that report is read).
    expect(await pool.apply('echo', ['ready'])).toBe('ready');
    const result = pool.applyAsync('noSuchKernel', []);
    expect(result.ready()).toBe(true);
    const error = await rejection(result.get());
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toMatch(/^Unknown kernel `noSuchKernel`; the module exports: add, addLater, /);
  });

  it('a JS module: names sent before it loaded still fail with their own name', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const early = Array.from({ length: 50 }, (_, i) => pool!.applyAsync(`early${i}`, [i]));
    const errors = await Promise.all(early.map((result) => rejection(result.get())));
    errors.forEach((error, i) => expect(error.message).toMatch(new RegExp(`^Unknown kernel \`early${i}\`; the module exports: add, `)));
    expect(await pool.apply('add', [2, 3])).toBe(5);
  });
});

describe('a getter that throws is named, before anything is dispatched (finding 10)', () => {
  const boom = (): never => {
    throw new Error('boom');
  };

  it('in TaskOptions, MapOptions, alloc and parallel options', async () => {
    pool = new Pool({ workers: 1 });
    const error = thrown(() =>
      pool!.applyAsync('add', [1, 2], {
        get timeout(): number {
          return boom();
        },
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Could not read `options.timeout`: boom');
    expect((error.cause as Error).message).toBe('boom');
    expect(
      thrown(() =>
        pool!.mapAsync('add', [1], {
          get chunksize(): number {
            return boom();
          },
        }),
      ).message,
    ).toBe('Could not read `options.chunksize`: boom');
    expect(
      thrown(() =>
        pool!.alloc(Float64Array, 4, {
          get zero(): boolean {
            return boom();
          },
        }),
      ).message,
    ).toBe('Could not read `options.zero`: boom');
    const parallel = await rejection(
      pool.parallel('sumF64', {
        length: 4,
        args: () => [],
        get parts(): number {
          return boom();
        },
      }),
    );
    expect(parallel.message).toBe('Could not read `options.parts`: boom');
    const keys = new Proxy({}, { ownKeys: boom });
    expect(thrown(() => pool!.applyAsync('add', [1, 2], keys)).message).toBe('Could not read the keys of `options`: boom');
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0 });
  });

  it('in PoolOptions', () => {
    const error = thrown(
      () =>
        new Pool({
          get workers(): number {
            return boom();
          },
        }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Could not read `options.workers`: boom');
    expect(
      thrown(
        () =>
          new Pool({
            workers: 1,
            resourceLimits: {
              get stackSizeMb(): number {
                return boom();
              },
            },
          }),
      ).message,
    ).toBe('Could not read `resourceLimits.stackSizeMb`: boom');
  });

  it('in an argument list: apply, starmap, map and a lazy map name the element', async () => {
    for (const module of [undefined, JS_TASKS]) {
      pool = new Pool({ workers: 1, module });
      const args = [1, 2];
      Object.defineProperty(args, 1, { get: boom });
      const error = thrown(() => pool!.applyAsync('add', args));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('Could not read `args[1]`: boom');
      const list = [1, 2];
      Object.defineProperty(list, 0, { get: boom });
      expect(thrown(() => pool!.starmapAsync('add', [[1, 2], list])).message).toBe('Could not read `items[1][0]`: boom');
      const items = [1, 2, 3];
      Object.defineProperty(items, 2, { get: boom });
      expect(thrown(() => pool!.mapAsync(module ? 'echo' : 'identity', items)).message).toMatch(/^(Could not read `items\[2\]`|Iterating `items` threw).*boom/);
      const late = (function* () {
        for (let i = 0; i < 10; i++) yield i === 7 ? list : [i, i];
      })();
      const lazy = await rejection(
        (async () => {
          for await (const value of pool!.istarmap('add', late, { readAhead: 2 })) void value;
        })(),
      );
      expect(lazy.message).toBe('Could not read `items[7][0]`: boom');
      await pool.onIdle(); // a chunk already running when the loop left finishes
      expect(pool.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0 });
      await pool.terminate();
    }
  });
});
