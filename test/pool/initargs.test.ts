import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';
import { fixture } from '../helpers.js';

// An AssemblyScript module over shared memory whose initializer takes a table: setTable(ptr, len, scale).
const TABLE = fixture('assembly/table.ts');

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('initargs lower typed arrays', () => {
  it('a plain typed array is copied into shared memory once and reaches every worker, replacements too', async () => {
    const values = new Float64Array([1, 2, 3, 4]);
    // maxTasksPerWorker 1: every task runs in a fresh worker, whose initializer gets the same copy.
    pool = new Pool({ workers: 2, module: TABLE, initializer: 'setTable', initargs: [values, 10], maxTasksPerWorker: 1 });
    values[0] = 100; // the pool holds its own copy, taken at the constructor
    expect(await pool.map('lookup', [0, 1, 2, 3, 4], { chunksize: 1 })).toEqual([10, 20, 30, 40, -1]);
  }, 60_000);

  it('a function given as initargs allocates a shared table the main thread updates later', async () => {
    let table: Float64Array | undefined;
    pool = new Pool({
      workers: 2,
      module: TABLE,
      initializer: 'setTable',
      initargs: ({ alloc, memory }) => {
        expect(memory).toBeInstanceOf(WebAssembly.Memory);
        table = alloc(Float64Array, 3);
        table.set([1, 2, 3]);
        return [table, 2];
      },
    });
    expect(await pool.map('lookup', [0, 1, 2], { chunksize: 1 })).toEqual([2, 4, 6]);
    table![1] = 50; // the workers read the same memory: no message, no copy
    expect(await pool.apply('lookup', [1])).toBe(100);
    await pool.apply('store', [2, 7]);
    expect(table![2]).toBe(7);
  }, 60_000);

  it('refuses what the initializer cannot take, at the constructor, naming `initargs`', () => {
    expect(() => new Pool({ workers: 1, module: TABLE, initializer: 'setTable', initargs: [new Float64Array(2)] })).toThrow(/initargs/);
    expect(() => new Pool({ workers: 1, module: TABLE, initializer: 'setTable', initargs: (() => 5) as never })).toThrow(
      /Expected `initargs\(\)` to return an array of arguments, got 5/,
    );
    const cause = new Error('no table');
    let error: Error | undefined;
    try {
      new Pool({
        workers: 1,
        module: TABLE,
        initializer: 'setTable',
        initargs: () => {
          throw cause;
        },
      });
    } catch (thrown) {
      error = thrown as Error;
    }
    expect(error?.message).toMatch(/`initargs` threw while the pool was being created: no table/);
    expect(error?.cause).toBe(cause);
  }, 60_000);
});
