// Typed kernels (issue 17, item 2). At compile time (`npm run typecheck`): with the declaration
// `wasmpool build --types` writes, `Pool<Kernels>` checks kernel names, arguments and results, and
// each `@ts-expect-error` below fails the typecheck if the wrong call it marks were accepted. At run
// time: the source's types travel in the binary, so a typed array of the wrong element type is a
// TypeError naming the argument, and argument counts are the caller's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { Pool, type AsyncResult } from 'wasmpool';
import { thrown } from '../helpers.js';

const SOURCE = `import { Float32Ptr, Float64Ptr, getF64, setF64 } from "wasmpool/assembly";
export function scale(x: Float64Ptr, n: i32, by: f64): void { for (let i = 0; i < n; i++) setF64(x, i, getF64(x, i) * by); }
export function total(x: usize, n: i32): f64 { let s = 0.0; for (let i = 0; i < n; i++) s += <f64>load<u8>(x + i); return s; }
export function half(x: Float32Ptr, n: i32): f32 { return <f32>n * 0.5; }
export function quad(x: i32): i32 { return x * 4; }
export function big(x: i64): i64 { return x * 2; }
`;

/** What `wasmpool build kernel.ts --types` writes for SOURCE (the test below checks it is exactly this). */
type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;
interface Kernels {
  scale(x: Float64Array, by: number): void;
  total(x: TypedArray): number;
  half(x: Float32Array): number;
  quad(x: number): number;
  big(x: bigint): bigint;
}

const dir = mkdtempSync(join(tmpdir(), 'wasmpool-typed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'kernel.ts'), SOURCE);
const ENTRY = join(dir, 'kernel.ts');
const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

let pool: Pool<Kernels> | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('typed kernels at compile time', () => {
  it('Pool<Kernels> checks names, arguments and results; an untyped Pool keeps today’s typing', () => {
    const typed = null as unknown as Pool<Kernels>;
    // Never called: the lambdas are only type-checked.
    expectTypeOf(() => typed.apply('quad', [1])).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(() => typed.applyAsync('big', [1n])).returns.toEqualTypeOf<AsyncResult<bigint>>();
    expectTypeOf(() => typed.apply('scale', [new Float64Array(1), 2])).returns.toEqualTypeOf<Promise<undefined>>();
    expectTypeOf(() => typed.map('quad', [1, 2])).returns.toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(() => typed.starmapAsync('scale', [[new Float64Array(1), 2]])).returns.toEqualTypeOf<AsyncResult<undefined[]>>();
    expectTypeOf(() => typed.imap('total', [new Uint8Array(1), new Float32Array(1)])).returns.toEqualTypeOf<AsyncIterable<number>>();
    const wrong = (): unknown[] => [
      // @ts-expect-error: no kernel of that name
      typed.apply('quadd', [1]),
      // @ts-expect-error: a string for an i32
      typed.apply('quad', ['1']),
      // @ts-expect-error: two arguments for one
      typed.apply('quad', [1, 2]),
      // @ts-expect-error: a Float32Array for a Float64Ptr
      typed.apply('scale', [new Float32Array(1), 2]),
      // @ts-expect-error: a number for a bigint (i64)
      typed.starmap('big', [[1]]),
      // @ts-expect-error: map items of a one-argument kernel are its argument
      typed.map('half', [1]),
    ];
    void wrong;
    const result = async (): Promise<void> => {
      // @ts-expect-error: quad resolves with a number, not a string
      const text: string = await typed.apply('quad', [1]);
      void text;
    };
    void result;
    expectTypeOf(() => Pool.create<Kernels>({ module: ENTRY })).returns.toEqualTypeOf<Promise<Pool<Kernels>>>();
    expectTypeOf(() => Pool.create({ module: ENTRY })).returns.toEqualTypeOf<Promise<Pool>>();
    const untyped = null as unknown as Pool;
    expectTypeOf(() => untyped.apply<string>('anything', [1, 'x'])).returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf(() => untyped.apply('anything')).returns.toEqualTypeOf<Promise<unknown>>();
  });

  it('`wasmpool build --types` writes that declaration', () => {
    const run = spawnSync(process.execPath, [BIN, 'build', 'kernel.ts', '--types', 'out.d.ts'], { cwd: dir, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('  scale(x: Float64Array, by: f64): void\n');
    expect(run.stdout).toContain('  total(x: TypedArray): f64\n');
    const written = readFileSync(join(dir, 'out.d.ts'), 'utf8');
    expect(written).toContain(
      [
        'export interface Kernels {',
        '  scale(x: Float64Array, by: number): void;',
        '  total(x: TypedArray): number;',
        '  half(x: Float32Array): number;',
        '  quad(x: number): number;',
        '  big(x: bigint): bigint;',
        '}',
      ].join('\n'),
    );
    expect(written).toContain('export type TypedArray =');
    // Without a path: FILE.kernels.d.ts beside the source.
    expect(spawnSync(process.execPath, [BIN, 'build', 'kernel.ts', '--types'], { cwd: dir }).status).toBe(0);
    expect(readFileSync(join(dir, 'kernel.kernels.d.ts'), 'utf8')).toBe(written);
  });
});

describe('typed kernels at run time', () => {
  it('a typed array of the wrong element type is a TypeError naming the argument, the expected and the given type', () => {
    pool = new Pool<Kernels>({ workers: 1, module: ENTRY });
    const error = thrown(() => pool!.applyAsync('scale', [new Float32Array(4) as unknown as Float64Array, 2]));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Expected `args[0]` (x) of kernel `scale` to be a Float64Array, got a Float32Array');
    const item = thrown(() =>
      pool!.starmapAsync('scale', [
        [new Float64Array(1), 1],
        [new Int32Array(1) as unknown as Float64Array, 1],
      ]),
    );
    expect(item.message).toBe('Expected `items[1][0]` (x) of kernel `scale` to be a Float64Array, got a Int32Array');
  });

  it('arity errors count the caller’s arguments, arrays as one', () => {
    pool = new Pool<Kernels>({ workers: 1, module: ENTRY });
    const args = [new Float64Array(2), 2, 3, 4, 5] as unknown as [Float64Array, number];
    expect(thrown(() => pool!.applyAsync('scale', args)).message).toBe('Kernel `scale` takes 2 arguments (x: Float64Array, by: f64), got 5 in `args`');
  });

  it('right calls run: the element type checked, any typed array for a plain usize, (address, length) numbers still accepted', async () => {
    pool = new Pool<Kernels>({ workers: 1, module: ENTRY });
    const x = new Float64Array([1, 2, 3]);
    await pool.apply('scale', [x, 2]);
    expect([...x]).toEqual([2, 4, 6]);
    expect(await pool.apply('total', [new Uint8Array([1, 2, 3])])).toBe(6);
    expect(await pool.apply('quad', [5])).toBe(20);
    const shared = pool.alloc(Float64Array, 2);
    shared.set([1, 1]);
    const raw = pool as unknown as Pool;
    await raw.apply('scale', [shared.byteOffset, 2, 3]);
    expect([...shared]).toEqual([3, 3]);
  });
});
