// Compiles every AssemblyScript module the package ships or tests with.
// The built-in kernels use asconfig.json's `kernels` target; the rest are listed here. asc reads
// ./asconfig.json for every build, so its shared-memory settings live in that target, not in `options`.
import asc from 'assemblyscript/asc';
import { mkdirSync, readFileSync } from 'node:fs';

const own = ['-O3', '--runtime', 'stub'];
const builds = [
  // Shared memory across workers: pointer-only kernels, no allocation (no AS runtime is thread-safe).
  ['assembly/index.ts', '--config', 'asconfig.json', '--target', 'kernels'],
  // Their GEMM and convolution with relaxed SIMD's madd, loaded beside them where the runtime validates it.
  ['assembly/relaxed.ts', '--config', 'asconfig.json', '--target', 'kernelsRelaxed'],
  // Each worker's own memory: the tutorial's task builds strings, which needs an allocator.
  ['assembly/examples/seed.ts', ...own, '-o', 'build/examples/seed.wasm'],
  ['test/fixtures/assembly/faults.ts', ...own, '--debug', '-o', 'build/fixtures/faults.wasm'],
  // asc's stub allocator on a shared memory, as a hand build would make it: the pool refuses it.
  [
    'test/fixtures/assembly/allocates.ts',
    ...own,
    '--importMemory',
    '--sharedMemory',
    '--maximumMemory',
    '16',
    '--enable',
    'threads',
    '-o',
    'build/fixtures/unsafe-alloc.wasm',
  ],
  // bench/ops.mjs: the limits of one core (SIMD128 mul+add peak, read bandwidth), measured in the same run.
  ['assembly/bench/ops-peak.ts', ...own, '--enable', 'simd', '-o', 'build/bench/ops-peak.wasm'],
  ['test/fixtures/assembly/bound.ts', '-O3', '--runtime', 'incremental', '--bindings', 'raw', '-o', 'build/fixtures/bound.wasm'],
];

mkdirSync('build', { recursive: true });
for (const args of builds) {
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(`asc ${args.join(' ')} failed:\n${stderr.toString()}`);
    process.exit(1);
  }
}
// The relaxed build is instantiated over the baseline's memory: a data segment would be written over the
// baseline's own (both start at the same offset), so it must have none (asconfig.json builds it with noAssert).
if (hasDataSection(readFileSync('build/kernels-relaxed.wasm'))) {
  console.error(
    "build/kernels-relaxed.wasm has a data section: it would overwrite the baseline kernels' data; keep strings and tables out of assembly/relaxed.ts",
  );
  process.exit(1);
}
console.log(`built ${builds.length} WebAssembly modules into build/`);

/** Whether a WebAssembly binary has a data section (id 11): walks the section headers. */
function hasDataSection(bytes) {
  let at = 8;
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    if (id === 11) return true;
    at += size;
  }
  return false;
}
