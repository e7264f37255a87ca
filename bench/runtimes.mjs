// Optional question: what does a task cost on Node, Bun and Deno? The same child (this file with
// `--child`) runs under each binary the npm devDependencies ship, on the same pool size, and reports
// one-at-a-time round trips (`await pool.apply('add', [1, 2])`, median µs) and a burst of 10,000
// `applyAsync('add')` at once (tasks/s).
//
//   node bench/runtimes.mjs [--quick]        one JSON line per runtime on stdout
//   npm run bench -- --only runtimes         the same as a question of the bench runner
//
// Runtimes run one after another, never at once: they would compete for the same cores.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';

const WORKERS = 2;
const SELF = fileURLToPath(import.meta.url);

function sizes(quick) {
  return quick ? { reps: 1, warmup: 0, roundTrips: 50, burst: 500 } : { reps: 7, warmup: 1, roundTrips: 2_000, burst: 10_000 };
}

// ---- child: runs under one runtime, measures, prints one JSON line ------------------------------

async function child(quick) {
  const { Pool } = await import('../dist/index.js');
  const size = sizes(quick);
  const pool = new Pool({ workers: WORKERS });
  const roundTripUs = [];
  const burstPerSec = [];
  try {
    for (let round = -size.warmup; round < size.reps; round++) {
      const times = [];
      for (let i = 0; i < size.roundTrips; i++) {
        const t = performance.now();
        await pool.apply('add', [1, 2]);
        times.push((performance.now() - t) * 1000);
      }
      const t = performance.now();
      const results = [];
      for (let i = 0; i < size.burst; i++) results.push(pool.applyAsync('add', [i, 1]));
      const values = await Promise.all(results);
      const seconds = (performance.now() - t) / 1000;
      if (values[size.burst - 1] !== size.burst) throw new Error(`the burst's last task gave ${values[size.burst - 1]}, not ${size.burst}`);
      if (round >= 0) {
        roundTripUs.push(median(times));
        burstPerSec.push(size.burst / seconds);
      }
    }
  } finally {
    await pool.terminate();
  }
  const runtime = globalThis.Bun ? 'bun' : globalThis.Deno ? 'deno' : 'node';
  const version = globalThis.Bun?.version ?? globalThis.Deno?.version.deno ?? process.versions.node;
  process.stdout.write(JSON.stringify({ runtime, version, workers: WORKERS, ...size, roundTripUs, burstPerSec }) + '\n');
}

// ---- parent: one child per runtime ---------------------------------------------------------------

const require = createRequire(import.meta.url);
const packaged = (pkg, relative) => join(dirname(require.resolve(`${pkg}/package.json`)), relative);

function runtimes() {
  return [
    { name: 'node', command: [process.execPath] },
    { name: 'bun', command: [packaged('@oven/bun-linux-x64', 'bin/bun')] },
    { name: 'deno', command: [packaged('@deno/linux-x64-glibc', 'deno'), 'run', '--allow-all'] },
  ];
}

function measureUnder(runtime, quick) {
  const [binary, ...prefix] = runtime.command;
  const args = [...prefix, SELF, '--child', ...(quick ? ['--quick'] : [])];
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 600_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`bench/runtimes.mjs under ${runtime.name} failed: ${error.message}\n${stderr}`, { cause: error }));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
    });
  });
}

/** The bench runner's entry: one figure per runtime and measure. */
export async function run(ctx) {
  ctx.begin('runtimes');
  for (const runtime of runtimes()) {
    ctx.progress(`${runtime.name}: measuring`);
    const row = await measureUnder(runtime, ctx.quick);
    const label = `${runtime.name} ${row.version}`;
    ctx.figure(`runtimes.${runtime.name}.roundtrip`, `${label}: await pool.apply('add') one at a time (median)`, 'µs', row.roundTripUs);
    ctx.figure(`runtimes.${runtime.name}.burst`, `${label}: ${row.burst.toLocaleString('en')} applyAsync('add') at once`, 'tasks/s', row.burstPerSec);
  }
}

const args = process.argv.slice(2);
if (process.argv[1] === SELF || args.includes('--child')) {
  const quick = args.includes('--quick');
  if (args.includes('--child')) await child(quick);
  else {
    for (const runtime of runtimes()) {
      const row = await measureUnder(runtime, quick);
      console.log(
        JSON.stringify({
          runtime: row.runtime,
          version: row.version,
          roundTripMedianUs: +median(row.roundTripUs).toFixed(1),
          burstTasksPerSec: Math.round(median(row.burstPerSec)),
          reps: row.reps,
          mode: quick ? 'quick (smoke test: do not quote)' : 'full',
        }),
      );
    }
  }
}
