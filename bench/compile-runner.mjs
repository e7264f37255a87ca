// Which way to block `new Pool` on asc's async API is faster: a worker thread the main thread
// waits for with Atomics.wait (what src/compile/compile-sync.ts does), or a child process run
// with execFileSync. Each compiles the same kernel, cache bypassed, `--runs` times.
// Run: node bench/compile-runner.mjs [--runs 3]   (after npm run build)
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileSync } from '../dist/compile/compile-sync.js';
import { POOL_FLAGS } from '../dist/compile/flags.js';

const runsAt = process.argv.indexOf('--runs');
const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 3;
if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`Expected \`--runs\` to be a positive integer, got ${process.argv[runsAt + 1]}`);

const root = fileURLToPath(new URL('..', import.meta.url));
const request = {
  compilerUrl: pathToFileURL(
    createRequire(import.meta.url)
      .resolve('assemblyscript/package.json')
      .replace(/package\.json$/, 'dist/asc.js'),
  ).href,
  entry: fileURLToPath(new URL('../examples/custom-kernel/assembly/kernel.ts', import.meta.url)),
  flags: POOL_FLAGS,
  packageRoot: root,
};
// The child: the same runAsc, its answer as JSON on stdout (the binary base64-encoded).
const CHILD = `
import { runAsc } from ${JSON.stringify(pathToFileURL(`${root}dist/compile/run-asc.js`).href)};
const request = JSON.parse(process.argv[1]);
const response = await runAsc(request);
process.stdout.write(JSON.stringify(response.ok ? { ok: true, wasm: Buffer.from(response.wasm).toString('base64'), files: response.files } : response));
`;

function viaChild() {
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(request)], { maxBuffer: 1 << 28 }).toString());
  if (!out.ok) throw new Error(out.message);
  return Buffer.from(out.wasm, 'base64');
}

function viaWorker() {
  const out = compileSync(request);
  if (!out.ok) throw new Error(out.message);
  return out.wasm;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const [name, compile] of [
  ['worker thread + Atomics.wait', viaWorker],
  ['child process (execFileSync)', viaChild],
]) {
  const times = [];
  let size = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    size = compile().length;
    times.push(performance.now() - start);
  }
  console.log(`${name.padEnd(30)} median ${median(times).toFixed(0)} ms over ${runs} runs (${times.map((t) => t.toFixed(0)).join(', ')}), ${size} bytes`);
}
