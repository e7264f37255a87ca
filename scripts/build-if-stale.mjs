// Runs `npm run build` unless every build output is newer than every file it is built from, as make would.
// The repository has no install-time build (a `prepare` script makes npm warn everyone who installs the
// tarball), so the scripts that need dist/ and build/ (`npm test`, the suites, the bench, the demo) run this
// first: a fresh clone builds on its first `npm test`, an unchanged tree costs a few milliseconds.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const inputs = [
  'src',
  'assembly',
  'test/fixtures/assembly',
  'scripts/build-wasm.mjs',
  'scripts/embed-kernels.mjs',
  'asconfig.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];
const outputs = [
  'dist/index.js',
  'dist/browser.js',
  'dist/modules/builtin-kernels.js',
  'build/kernels.wasm',
  'build/kernels-relaxed.wasm',
  'build/examples/seed.wasm',
  'build/fixtures/faults.wasm',
];

/** The newest modification time under `path` (a file or a folder), or -Infinity if it does not exist. */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return -Infinity;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let time = -Infinity;
  for (const entry of readdirSync(path)) time = Math.max(time, newest(join(path, entry)));
  return time;
}

function oldestOutput() {
  let time = Infinity;
  for (const output of outputs) {
    try {
      time = Math.min(time, statSync(join(root, output)).mtimeMs);
    } catch {
      return -Infinity; // missing: build
    }
  }
  return time;
}

const changed = Math.max(...inputs.map((input) => newest(join(root, input))));
if (changed > oldestOutput()) {
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const { status } = spawnSync(npm[0], [...npm[1], 'run', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(status ?? 1);
}
