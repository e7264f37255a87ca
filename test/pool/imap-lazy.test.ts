import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError, Pool, QueueFullError, TimeoutError } from 'wasmpool';
import { JS_TASKS, rejection, until } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

/** An endless input that counts what was read, and refuses to go past `guard` items (so a greedy reader fails fast). */
function counted(guard = 100_000): { items: Generator<number>; read: () => number; closed: () => boolean } {
  let read = 0;
  let closed = false;
  function* naturals(): Generator<number> {
    try {
      for (let i = 0; ; i++) {
        if (++read > guard) throw new Error(`read past the guard of ${guard} items`);
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return { items: naturals(), read: () => read, closed: () => closed };
}

const cellsOf = (items: number): Int32Array => new Int32Array(new SharedArrayBuffer((items + 1) * 4));

describe('lazy imap family', () => {
  it.each(['imap', 'imapUnordered'] as const)('%s over an endless generator yields at once and reads only a bounded way ahead', async (form) => {
    pool = new Pool({ workers: 2 });
    const input = counted();
    const out: number[] = [];
    for await (const value of pool[form]<number>('square', input.items)) {
      out.push(value);
      if (out.length === 1000) break;
    }
    if (form === 'imap') expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i * i));
    else expect(out).toHaveLength(1000);
    // The default read-ahead is 4 chunks per worker and at least 256 items: never more read past what was used.
    expect(input.read()).toBeLessThanOrEqual(1000 + 256);
    expect(input.closed()).toBe(true); // leaving the loop closed the generator
    await pool.onIdle();
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0 });
  });

  it('reads no further while the loop does not ask: readAhead chunks of chunksize items, then waits', async () => {
    pool = new Pool({ workers: 2 });
    const input = counted();
    const iterator = pool.imap<number>('square', input.items, { chunksize: 2, readAhead: 3 })[Symbol.asyncIterator]();
    expect(input.read()).toBe(6); // read at the call: the work starts before the first next()
    await pool.onIdle();
    expect(input.read()).toBe(6); // every chunk is done, none taken: nothing more is read
    expect((await iterator.next()).value).toBe(0);
    expect(input.read()).toBeLessThanOrEqual(8);
    await iterator.return!();
    expect(input.closed()).toBe(true);
  });

  it('break at item 8 of 16 cancels every item not yet started; the running one finishes', async () => {
    const shared = cellsOf(16);
    pool = new Pool({ workers: 1, module: JS_TASKS, initializer: 'useCells', initargs: [shared.buffer] });
    Atomics.store(shared, 0, 9); // item 8 waits for the test
    const out: number[] = [];
    for await (const value of pool.imap<number>(
      'holdItem',
      Array.from({ length: 16 }, (_, i) => i),
    )) {
      out.push(value);
      if (out.length === 8) {
        await until(() => Atomics.load(shared, 1 + 8) === 1); // item 8 is running
        break;
      }
    }
    Atomics.store(shared, 0, 0);
    Atomics.notify(shared, 0);
    expect(await pool.apply('add', [1, 1])).toBe(2); // one worker, in order: everything before this has finished
    expect(Array.from(shared.subarray(1))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0 });
  });

  it('a throw in the loop body cancels the same way (istarmap, payload chunks)', async () => {
    const shared = cellsOf(12);
    pool = new Pool({ workers: 1, module: JS_TASKS, initializer: 'useCells', initargs: [shared.buffer] });
    Atomics.store(shared, 0, 3);
    const error = await rejection(
      (async () => {
        for await (const value of pool!.istarmap<number>(
          'holdItem',
          Array.from({ length: 12 }, (_, i) => [i]),
        )) {
          if (value === 1) {
            await until(() => Atomics.load(shared, 1 + 2) === 1);
            throw new Error('consumer failed');
          }
        }
      })(),
    );
    expect(error.message).toBe('consumer failed');
    Atomics.store(shared, 0, 0);
    Atomics.notify(shared, 0);
    expect(await pool.apply('add', [1, 1])).toBe(2);
    expect(Array.from(shared.subarray(1))).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('istarmap and istarmapUnordered run argument lists', async () => {
    pool = new Pool({ workers: 2 });
    const ordered: number[] = [];
    for await (const v of pool.istarmap<number>('add', [
      [1, 2],
      [3, 4],
      [5, 6],
    ]))
      ordered.push(v);
    expect(ordered).toEqual([3, 7, 11]);
    const any: number[] = [];
    for await (const v of pool.istarmapUnordered<number>(
      'add',
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { chunksize: 2 },
    ))
      any.push(v);
    expect(any.sort((a, b) => a - b)).toEqual([3, 7, 11]);
  });

  it('a bad item or a failing input past the first read-ahead fails the loop at its position, naming the item', async () => {
    pool = new Pool({ workers: 1 });
    function* lists(): Generator<unknown> {
      for (let i = 0; i < 20; i++) yield [i, 1];
      yield 5; // not an argument list
    }
    const seen: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const v of pool!.istarmap<number>('add', lists() as Iterable<readonly unknown[]>, { readAhead: 2 })) seen.push(v);
      })(),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/Expected `items\[20\]` to be an array of arguments, got 5/);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    function* throwing(): Generator<number> {
      yield 1;
      yield 2;
      throw new Error('source broke');
    }
    const values: number[] = [];
    const broken = await rejection(
      (async () => {
        for await (const v of pool!.imap<number>('square', throwing())) values.push(v);
      })(),
    );
    expect(broken.message).toMatch(/Iterating `items` threw at item 2: source broke/);
    expect(values).toEqual([1, 4]);
  });

  it('an input that fails before any item is read throws at the call', () => {
    pool = new Pool({ workers: 1 });
    const broken: Iterable<number> = {
      [Symbol.iterator]: () => ({
        next: () => {
          throw new Error('nothing to read');
        },
      }),
    };
    expect(() => pool!.imap('square', broken)).toThrow(/Iterating `items` threw at item 0: nothing to read/);
  });

  it('signal: aborting mid-loop stops the running item and the loop throws CancelledError with the reason', async () => {
    const shared = cellsOf(8);
    pool = new Pool({ workers: 1, module: JS_TASKS, initializer: 'useCells', initargs: [shared.buffer] });
    Atomics.store(shared, 0, 3);
    const controller = new AbortController();
    const input = counted(1_000);
    const seen: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const v of pool!.imap<number>('holdItem', input.items, { signal: controller.signal })) {
          seen.push(v);
          if (v === 1) {
            await until(() => Atomics.load(shared, 1 + 2) === 1);
            controller.abort('enough');
          }
        }
      })(),
    );
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.cause).toBe('enough');
    expect(seen).toEqual([0, 1]);
    expect(input.closed()).toBe(true);
    expect(await pool.apply('add', [1, 1])).toBe(2); // the held worker was stopped and replaced
    expect(Array.from(shared.subarray(1, 5))).toEqual([1, 1, 1, 0]);
  });

  it('an already aborted signal throws on the first next(); nothing is read', async () => {
    pool = new Pool({ workers: 1 });
    const input = counted();
    const results = pool.imapUnordered('square', input.items, { signal: AbortSignal.abort(new Error('no')) });
    const error = await rejection(results[Symbol.asyncIterator]().next());
    expect(error).toBeInstanceOf(CancelledError);
    expect((error.cause as Error).message).toBe('no');
    expect(input.read()).toBe(0);
  });

  it('timeout: a runaway item throws TimeoutError when the loop reaches it', async () => {
    const shared = cellsOf(4);
    pool = new Pool({ workers: 1, module: JS_TASKS, initializer: 'useCells', initargs: [shared.buffer] });
    Atomics.store(shared, 0, 2);
    const seen: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const v of pool!.imap<number>('holdItem', [0, 1, 2, 3], { timeout: 80 })) seen.push(v);
      })(),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toMatch(/\(item 1\)$/);
    expect(seen).toEqual([0]);
  });

  it('a started imap goes on after close(); join() resolves once its loop has ended', async () => {
    pool = new Pool({ workers: 2 });
    const input = counted();
    const results = pool.imap<number>(
      'square',
      (function* () {
        for (const i of input.items) {
          if (i === 50) return;
          yield i;
        }
      })(),
    );
    pool.close();
    const out: number[] = [];
    for await (const v of results) out.push(v);
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
    await pool.join();
    expect(() => pool!.imap('square', [1])).toThrow(/closed/);
  });

  it('onProgress counts items done against items read; callback gets every value; errorCallback the first error', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const progress: Array<[number, number]> = [];
    let all: number[] | undefined;
    for await (const _ of pool.imap<number>('echo', [1, 4, 9, 16, 25], { onProgress: (d, t) => progress.push([d, t]), callback: (v) => (all = v) })) {
      // consume
    }
    await until(() => all !== undefined);
    expect(all).toEqual([1, 4, 9, 16, 25]);
    expect(progress.at(-1)).toEqual([5, 5]);
    const errors: Error[] = [];
    await rejection(
      (async () => {
        for await (const _ of pool!.imap('fail', ['boom'], { errorCallback: (e) => errors.push(e) })) {
          // consume
        }
      })(),
    );
    expect(errors).toHaveLength(1);
  });

  it('an imap never iterated does not keep close() from finishing once it is garbage', async () => {
    pool = new Pool({ workers: 1 });
    const input = counted();
    // Created and dropped at once: no loop ever runs it, so no return() ever comes.
    (() => void pool!.imap('square', input.items, { readAhead: 2 }))();
    await pool.onIdle();
    pool.close();
    let joined = false;
    void pool.join().then(() => (joined = true));
    const gc = (globalThis as { gc?: () => void }).gc!;
    await until(() => {
      gc();
      return joined;
    });
    expect(input.read()).toBe(2);
  });

  it('maxQueued: an imap reads only what the queue takes, waits for room, and never fails with QueueFullError', async () => {
    pool = new Pool({ workers: 1, maxQueued: 3 });
    const input = counted();
    const out: number[] = [];
    for await (const v of pool.imap<number>('square', input.items, { readAhead: 16 })) {
      expect(pool.size).toBeLessThanOrEqual(3);
      out.push(v);
      if (out.length === 200) break;
    }
    expect(out).toEqual(Array.from({ length: 200 }, (_, i) => i * i));
    // A queue already full at the call refuses, as every other submission does.
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const js = new Pool({ workers: 1, module: JS_TASKS, maxQueued: 1 });
    try {
      const blocker = js.applyAsync('holdUntilReleased', [shared.buffer]);
      await until(() => Atomics.load(shared, 1) === 1);
      const queued = js.applyAsync('add', [1, 2]);
      expect(() => js.imap('echo', [1])).toThrow(QueueFullError);
      Atomics.store(shared, 0, 1);
      expect(await blocker).toBe(7);
      expect(await queued).toBe(3);
    } finally {
      await js.terminate();
    }
  });

  it('an imap result is iterated once: a second loop is a TypeError', async () => {
    pool = new Pool({ workers: 1 });
    const results = pool.imap<number>('square', [1, 2]);
    const out: number[] = [];
    for await (const v of results) out.push(v);
    expect(out).toEqual([1, 4]);
    expect(() => results[Symbol.asyncIterator]()).toThrow(/already iterated/);
  });
});
