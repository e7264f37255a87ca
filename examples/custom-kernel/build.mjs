// Compiles assembly/kernel.ts into build/kernel.wasm with the flags a pool-shared memory needs:
//   --importMemory --sharedMemory   every worker's instance imports the pool's one memory
//   --initialMemory 1 --maximumMemory 65536
//                                   the pool creates the memory with exactly these limits
//   --enable threads,simd           shared memory needs threads; SIMD is optional
//   --runtime stub                  the kernels must not allocate, so the smallest runtime will do
// Run: node build.mjs   (in a project that has `wasmpool` and `assemblyscript` installed)
import asc from 'assemblyscript/asc';
import { mkdirSync, symlinkSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// asc looks packages up in node_modules folders. Inside the wasmpool repository itself there is no
// node_modules/wasmpool, so point asc at the package through a folder holding a link to it.
const packages = join(here, 'build', 'packages');
const packageRoot = dirname(fileURLToPath(import.meta.resolve('wasmpool/package.json')));
mkdirSync(packages, { recursive: true });
if (!existsSync(join(packages, 'wasmpool'))) symlinkSync(packageRoot, join(packages, 'wasmpool'), 'dir');

const { error, stderr } = await asc.main(
  [
    join(here, 'assembly', 'kernel.ts'),
    '-O3',
    '--runtime',
    'stub',
    '--importMemory',
    '--sharedMemory',
    '--initialMemory',
    '1',
    '--maximumMemory',
    '65536',
    '--enable',
    'threads,simd',
    '--path',
    packages,
    '-o',
    join(here, 'build', 'kernel.wasm'),
  ],
  { stdout: process.stdout, stderr: process.stderr },
);
if (error) {
  console.error(stderr.toString());
  process.exit(1);
}
console.log('built build/kernel.wasm');
