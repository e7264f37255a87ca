// The relaxed-SIMD build of the GEMM and convolution kernels: the feature test and its both outcomes, the option
// that pins a build, and the relaxed build really running (Node 20 validates relaxed SIMD only with
// --experimental-wasm-relaxed-simd, so that part runs in a child Node started with it) within the error bounds
// of an exact reference, the same bits on 1, 2 and 4 workers, on the calling thread as on the workers.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../dist/index.js';
import { RELAXED_SIMD_PROBE, chooseKernelBuild, relaxedSimdValidates } from '../../dist/modules/relaxed-simd.js';
import * as twin from '../../dist/ops/reference.js';
import { inspectWasm } from '../../dist/wasm/inspect.js';
import { built, thrown } from '../helpers.js';
import { CONV_CASES, MATMUL_SHAPES, convGeometry, expectConvBound, expectMatmulBound, firstDifference, randomArray, seeded } from './helpers.js';

const RELAXED = new Uint8Array(readFileSync(built('kernels-relaxed.wasm')));
const BASELINE = new Uint8Array(readFileSync(built('kernels.wasm')));
/** Whether this process validates relaxed SIMD, asked of the relaxed build itself rather than of the probe. */
const HERE = WebAssembly.validate(RELAXED);

describe('the feature test', () => {
  it('says what validating the relaxed build says, and its probe is a well-formed module', () => {
    expect(relaxedSimdValidates()).toBe(HERE);
    // The same bytes with v128.bitselect (0xfd 0x52) and a nop in place of f32x4.relaxed_madd: SIMD128 only.
    const simd128 = RELAXED_SIMD_PROBE.slice();
    simd128.splice(RELAXED_SIMD_PROBE.length - 4, 3, 0xfd, 0x52, 0x01);
    expect(WebAssembly.validate(new Uint8Array(simd128))).toBe(true);
  });

  it('takes the relaxed build where it validates, falls back to the baseline where not, and obeys relaxedSimd', () => {
    const yes = (): boolean => true;
    const no = (): boolean => false;
    expect(chooseKernelBuild(undefined, yes)).toBe('relaxed');
    expect(chooseKernelBuild(undefined, no)).toBe('baseline');
    expect(chooseKernelBuild(true, yes)).toBe('relaxed');
    expect(chooseKernelBuild(false, yes)).toBe('baseline');
    expect(chooseKernelBuild(false, () => expect.fail('relaxedSimd: false needs no feature test'))).toBe('baseline');
    const error = thrown(() => chooseKernelBuild(true, no));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(
      /^Expected `relaxedSimd` to be false or left out on this runtime, which does not validate relaxed SIMD \(Node 20 needs `node --experimental-wasm-relaxed-simd`.*got true$/,
    );
  });

  it('the relaxed build uses relaxed SIMD, writes no data, and exports the baseline signatures of its kernels', () => {
    const relaxed = inspectWasm(RELAXED);
    const baseline = inspectWasm(BASELINE);
    expect([...relaxed.kernels.keys()].sort()).toEqual(['opsConv2dF32', 'opsMatmulF32', 'opsMatmulF64']);
    for (const [name, signature] of relaxed.kernels) expect(signature, name).toEqual(baseline.kernels.get(name));
    expect(relaxed.dataEnd).toBe(0); // instantiated over the baseline's memory: a data segment would overwrite its data
    expect(relaxed.memoryImport).toEqual(baseline.memoryImport);
    // Without relaxed SIMD the runtime refuses it (the feature test is then false here, as on Node 20).
    if (!HERE) expect(() => new WebAssembly.Module(RELAXED)).toThrow(WebAssembly.CompileError);
  });
});

describe('PoolOptions.relaxedSimd and pool.ops.simd in this process', () => {
  const pools: Pool[] = [];
  const pool = (options: ConstructorParameters<typeof Pool>[0]): Pool => {
    const made = new Pool({ workers: 1, ...options });
    pools.push(made);
    return made;
  };
  afterAll(async () => {
    for (const made of pools) await made.terminate();
  });

  it('loads the relaxed build by default exactly where the runtime validates it', async () => {
    const ops = pool({}).ops;
    expect(ops.simd).toBe(HERE ? 'relaxed' : 'baseline');
    const a = Float64Array.from({ length: 64 }, (_, i) => i - 30);
    expect(Array.from(await ops.matmul(a, a, { m: 8, k: 8, n: 8 }))).toEqual(Array.from(twin.matmul(a, a, 8, 8, 8))); // small integers: exact either way
  });

  it('false pins the baseline; true the relaxed build, or a TypeError at construction where there is none', () => {
    expect(pool({ relaxedSimd: false }).ops.simd).toBe('baseline');
    if (HERE) expect(pool({ relaxedSimd: true }).ops.simd).toBe('relaxed');
    else expect(() => pool({ relaxedSimd: true })).toThrow(/Expected `relaxedSimd` to be false or left out on this runtime/);
  });

  it('is a boolean for the built-in kernels only', () => {
    expect(() => pool({ relaxedSimd: 'yes' as never })).toThrow(/Expected `relaxedSimd` to be a boolean, got "yes"/);
    expect(() => pool({ relaxedSimd: false, module: built('kernels.wasm') })).toThrow(
      /`relaxedSimd` chooses a build of the built-in kernels; it does not apply to a pool given a `module`/,
    );
  });
});

type Case =
  | { op: 'matmul'; type: 'f32' | 'f64'; a: number[]; b: number[]; m: number; k: number; n: number }
  | { op: 'conv'; image: number[]; kernel: number[]; options: Record<string, unknown> };

interface ChildOutput {
  simd: string[];
  results: number[][];
  sameOnWorkers: boolean[];
}

/**
 * Large enough to split over 4 workers (≥ 4 parts of ≥ 2 MFLOP for matmul, ≥ 1 MFLOP per band for conv2d) and, for
 * `inline`, a few rows of the same product small enough to run on the calling thread (under 30 µs estimated).
 */
const SPLIT_MATMUL: [number, number, number] = [256, 128, 128];
const INLINE_ROWS = 8;
const SPLIT_CONV: [number, number, number, number, number, number, 'same' | 'valid'][] = [
  [512, 512, 3, 3, 1, 1, 'same'],
  [64, 64, 3, 3, 8, 16, 'same'],
];

describe('the relaxed build, run for real in a Node with --experimental-wasm-relaxed-simd', () => {
  const cases: Array<{ name: string; check: (result: number[]) => void } & { input: Case }> = [];
  const index = new Map<string, number>();
  let output: ChildOutput;

  const add = (name: string, input: Case, check: (result: number[]) => void): void => {
    index.set(name, cases.length);
    cases.push({ name, input, check });
  };

  for (const type of [Float32Array, Float64Array]) {
    const t = type === Float32Array ? 'f32' : 'f64';
    for (const [m, k, n] of MATMUL_SHAPES) {
      const random = seeded(m * 1000 + k * 10 + n);
      const a = randomArray(type, m * k, random);
      const b = randomArray(type, k * n, random);
      add(`matmul ${t} ${m}×${k}×${n}`, { op: 'matmul', type: t, a: Array.from(a), b: Array.from(b), m, k, n }, (c) =>
        expectMatmulBound(c, a, b, [m, k, n], random, 40),
      );
    }
    const [m, k, n] = SPLIT_MATMUL;
    const random = seeded(7);
    const a = randomArray(type, m * k, random);
    const b = randomArray(type, k * n, random);
    add(`matmul ${t} split`, { op: 'matmul', type: t, a: Array.from(a), b: Array.from(b), m, k, n }, (c) => expectMatmulBound(c, a, b, [m, k, n], random));
    add(`matmul ${t} inline`, { op: 'matmul', type: t, a: Array.from(a.subarray(0, INLINE_ROWS * k)), b: Array.from(b), m: INLINE_ROWS, k, n }, () => {});
  }
  for (const [w, h, kw, kh, cin, cout, padding] of [...CONV_CASES, ...SPLIT_CONV]) {
    const random = seeded(w * h + kw * 7 + cin * 13 + cout);
    const image = randomArray(Float32Array, w * h * cin, random) as Float32Array;
    const kernel = randomArray(Float32Array, kw * kh * cin * cout, random) as Float32Array;
    const options = { width: w, height: h, kernelWidth: kw, kernelHeight: kh, channelsIn: cin, channelsOut: cout, padding };
    const g = convGeometry(w, h, kw, kh, cin, cout, padding);
    add(`conv2d ${w}×${h} ${kw}×${kh} ${cin}→${cout} ${padding}`, { op: 'conv', image: Array.from(image), kernel: Array.from(kernel), options }, (out) =>
      expectConvBound(out, image, kernel, g, random, 40),
    );
  }

  beforeAll(() => {
    // On a runtime that validates relaxed SIMD already (Node 22+) the flag is not needed.
    const flags = HERE ? [] : ['--experimental-wasm-relaxed-simd'];
    const stdout = execFileSync(process.execPath, [...flags, new URL('./fixtures/relaxed-ops.mjs', import.meta.url).pathname], {
      input: JSON.stringify({ cases: cases.map((c) => c.input) }),
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      timeout: 120_000,
    });
    output = JSON.parse(stdout) as ChildOutput;
  }, 150_000);

  it('pools of 1, 2 and 4 workers load the relaxed build by default', () => {
    expect(output.simd).toEqual(['relaxed', 'relaxed', 'relaxed']);
  });

  it('every result is within the error bound of an exact reference, and the same bits on 1, 2 and 4 workers', () => {
    for (const [i, c] of cases.entries()) {
      expect(output.sameOnWorkers[i], c.name).toBe(true);
      c.check(output.results[i]);
    }
  });

  it('the calling thread runs the relaxed build too: a product small enough to run there matches the workers’ rows', () => {
    for (const t of ['f32', 'f64']) {
      const split = output.results[index.get(`matmul ${t} split`)!];
      const inline = output.results[index.get(`matmul ${t} inline`)!];
      expect(firstDifference(inline, split.slice(0, inline.length)), t).toBe(-1);
    }
  });

  it('fuses its multiply-adds where the CPU has FMA: results differ from the unfused twin, within the bound', () => {
    // V8 lowers relaxed_madd to one fused instruction where the CPU has FMA (every x86-64 since 2013, every arm64),
    // else to a multiply and an add, which would give the twin's bits: this is the one line that depends on the CPU.
    const fma = process.arch === 'arm64' || /\bfma\b/.test(cpuFlags());
    const [m, k, n] = SPLIT_MATMUL;
    const { a, b } = cases[index.get('matmul f32 split')!].input as Extract<Case, { op: 'matmul' }>;
    const expected = twin.matmul(Float32Array.from(a), Float32Array.from(b), m, k, n);
    expect(firstDifference(output.results[index.get('matmul f32 split')!], expected) !== -1).toBe(fma);
  });
});

/** The CPU's feature flags on Linux; elsewhere (no /proc) the x86-64 machines wasmpool runs on all have FMA. */
function cpuFlags(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    return 'fma';
  }
}
