// pool.ops rejects bad input at the call — TypeError or RangeError naming the argument, nothing queued — and
// says clearly when a pool cannot run ops at all (a custom module, a closed pool).
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, Pool, PoolStateError } from '../../dist/index.js';
import { JS_TASKS, thrown } from '../helpers.js';

const pool = new Pool({ workers: 2 });
afterAll(() => pool.terminate());

const x64 = new Float64Array(10);
const x32 = new Float32Array(10);

/** Throws synchronously, with `type` and a message matching `message`, and queues nothing. */
function rejects(call: () => unknown, type: ErrorConstructor, message: RegExp): void {
  const before = pool.stats();
  const error = thrown(call);
  expect(error).toBeInstanceOf(type);
  expect(error.message).toMatch(message);
  expect(pool.stats().queued).toBe(before.queued);
  expect(pool.stats().running).toBe(before.running);
}

describe('pool.ops argument checks', () => {
  it.each(['sum', 'mean', 'min', 'max', 'argmin', 'argmax', 'variance', 'cumsum', 'exp', 'log'] as const)(
    '%s: x must be a Float32Array or Float64Array',
    (op) => {
      for (const bad of [[1, 2, 3], new Int32Array(3), null, 'x']) {
        rejects(() => (pool.ops[op] as (x: unknown) => unknown)(bad), TypeError, /Expected `x` to be a Float32Array or Float64Array, got/);
      }
    },
  );

  it.each(['mean', 'min', 'max', 'argmin', 'argmax'] as const)('%s of an empty array is a RangeError', (op) => {
    rejects(() => pool.ops[op](new Float64Array(0)), RangeError, /Expected `x` to hold at least one element/);
  });

  it('variance: ddof an integer >= 0 and below the length; unknown options are named', () => {
    rejects(() => pool.ops.variance(x64, { ddof: 1.5 }), TypeError, /Expected `ddof` to be an integer >= 0, got 1.5/);
    rejects(() => pool.ops.variance(x64, { ddof: -1 }), RangeError, /Expected `ddof` to be an integer >= 0, got -1/);
    rejects(() => pool.ops.variance(x64, { ddof: 10 }), RangeError, /more than ddof = 10 elements, got 10/);
    rejects(() => pool.ops.variance(x64, { dof: 1 } as never), TypeError, /Unknown option `dof`/);
  });

  it('out: the type and length of the result', () => {
    rejects(() => pool.ops.cumsum(x64, { out: x32 } as never), TypeError, /Expected `out` to be a Float64Array \(the type of the input\), got a Float32Array/);
    rejects(() => pool.ops.exp(x64, { out: new Float64Array(9) }), RangeError, /Expected `out` to hold 10 elements/);
    rejects(() => pool.ops.log(x64, 5 as never), TypeError, /Expected `options` to be an options object/);
    const wide = new Float64Array(11);
    rejects(
      () => pool.ops.exp(wide.subarray(0, 10), { out: wide.subarray(1) }),
      RangeError,
      /Expected `out` to share no element with the inputs \(it may be an input itself/,
    );
    rejects(() => pool.ops.axpby(1, wide.subarray(1), 1, x64, { out: wide.subarray(0, 10) }), RangeError, /share no element with the inputs/);
  });

  it('axpby: numbers, arrays of one type and length', () => {
    rejects(() => pool.ops.axpby('2' as never, x64, 1, x64), TypeError, /Expected `alpha` to be a number, got "2"/);
    rejects(() => pool.ops.axpby(2, x64, null as never, x64), TypeError, /Expected `beta` to be a number, got null/);
    rejects(() => pool.ops.axpby(2, x64, 1, x32 as never), TypeError, /Expected `y` to be a Float64Array like `x`, got a Float32Array/);
    rejects(() => pool.ops.axpby(2, x64, 1, new Float64Array(3)), RangeError, /Expected `y` to hold 10 elements like `x`, got 3/);
  });
});

describe('pools that cannot run pool.ops', () => {
  it('a pool on a custom module: TypeError saying to use a pool of the built-in kernels', async () => {
    const custom = new Pool({ workers: 1, module: JS_TASKS });
    try {
      const error = thrown(() => custom.ops.sum(x64));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/pool\.ops needs wasmpool's built-in kernels \(a Pool created without `module`\)/);
    } finally {
      await custom.terminate();
    }
  });

  it('a closed pool: PoolStateError, as for any task', async () => {
    const closed = new Pool({ workers: 1 });
    closed.close();
    expect(thrown(() => closed.ops.sum(x64))).toBeInstanceOf(PoolStateError);
    await closed.join();
  });

  it('a terminated pool fails an operation in flight (CancelledError), never leaves it pending', async () => {
    const doomed = new Pool({ workers: 1 });
    const result = doomed.ops.exp(new Float64Array(1 << 20));
    await doomed.terminate();
    await expect(result.get()).rejects.toThrow(CancelledError);
  });
});
