// `npm run bench [-- --quick] [-- --only kernels,dispatch] [-- --peer-items N] [-- --readme]`
// Optional questions run only when `--only` names them (`--only runtimes`).
// Runs every question, prints the targets and figures as markdown tables,
// and writes bench/results/latest.json, latest.svg and one chart per question
// (latest.dispatch-roundtrip.svg, ...; quick.* in --quick mode, which .gitignore keeps out).
// `node bench/run.mjs --charts [results.json]` only redraws the charts from a results file
// (default bench/results/latest.json): nothing is measured.
//
// Each question lives in its own file and only records figures and targets
// on the context; this file decides nothing about what is measured.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { createContext, endProgress } from './lib/context.mjs';
import { figureTable, targetTable } from './lib/report.mjs';
import { startLoadWatch } from './lib/machine-load.mjs';
import { writeReadmeTable } from './lib/readme.mjs';
import { drawQuestionCharts, drawSvg } from './lib/svg.mjs';

const QUESTIONS = {
  kernels: () => import('./kernels.mjs'),
  scaling: () => import('./scaling.mjs'),
  dispatch: () => import('./dispatch.mjs'),
  'end-to-end': () => import('./end-to-end.mjs'),
  flow: () => import('./flow.mjs'),
  million: () => import('./million.mjs'),
  elastic: () => import('./elastic.mjs'),
  ops: () => import('./ops.mjs'),
  // Optional: starts Bun and Deno too, so it is left out unless asked for.
  runtimes: () => import('./runtimes.mjs'),
  // Optional: needs redis-server on PATH and starts serving processes of its own.
  cluster: () => import('./cluster.mjs'),
};
const OPTIONAL = new Set(['runtimes', 'cluster']);

const args = process.argv.slice(2);
const resultsDir = new URL('./results/', import.meta.url);

/** The line that says where and how a run was made; a busy machine is said first. */
function headerOf(report) {
  const { machine, busy } = report;
  const others = machine.othersCpuShare;
  return `${busy ? '**machine busy: these ratios are compressed by other load, do not quote them** — ' : ''}${machine.cpu}, ${machine.cpus} CPUs, Node ${machine.node}, ${report.mode}, ${others !== undefined ? `other processes used ${Math.round(others * 100)}% of the CPUs` : `load ${machine.loadAverageBefore[0]}`}, ${report.seconds} s`;
}

/** Writes `${name}.svg` (targets) and `${name}.<question>.svg` (one per question) into bench/results/. */
function writeCharts(report, name) {
  writeFileSync(new URL(`${name}.svg`, resultsDir), drawSvg(report.targets, headerOf(report).replaceAll('**', ''), report.figures));
  const charts = drawQuestionCharts(report);
  for (const chart of charts) writeFileSync(new URL(`${name}.${chart.file}.svg`, resultsDir), chart.svg);
  return charts.map((chart) => `${name}.${chart.file}.svg`);
}

if (args.includes('--charts')) {
  const at = args.indexOf('--charts');
  const file = args[at + 1] && !args[at + 1].startsWith('--') ? new URL(args[at + 1], `file://${process.cwd()}/`) : new URL('latest.json', resultsDir);
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const name = report.mode === 'full' ? 'latest' : 'quick';
  console.log(`drew ${[`${name}.svg`, ...writeCharts(report, name)].join(', ')} in bench/results/ from ${file.pathname}`);
  process.exit(0);
}
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1].split(',') : Object.keys(QUESTIONS).filter((name) => !OPTIONAL.has(name));
for (const name of only) {
  if (!(name in QUESTIONS))
    throw new RangeError(`Expected \`--only\` to list questions from ${Object.keys(QUESTIONS).join(', ')}, got ${JSON.stringify(name)}`);
}

const loadBefore = loadavg();
const othersShare = startLoadWatch();
const started = performance.now();
const ctx = createContext({ quick });
for (const name of only) {
  const question = await QUESTIONS[name]();
  await question.run(ctx);
}
endProgress();

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cpus: cpus().length,
  availableParallelism: availableParallelism(),
  memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
  platform: `${process.platform} ${process.arch}`,
  node: process.version,
  loadAverageBefore: loadBefore.map((l) => +l.toFixed(2)),
  loadAverageAfter: loadavg().map((l) => +l.toFixed(2)),
  /** Share of all CPUs that other processes used during the run (Linux; undefined elsewhere). */
  othersCpuShare: undefined,
};
const others = othersShare();
if (others !== undefined) machine.othersCpuShare = +others.toFixed(3);
const report = {
  date: new Date().toISOString(),
  mode: quick ? 'quick (smoke test: sizes scaled down, do not quote these numbers)' : 'full',
  questions: only,
  seconds: +((performance.now() - started) / 1000).toFixed(1),
  machine,
  targets: ctx.targets,
  figures: ctx.figures,
  notes: ctx.notes,
};

// A run on a busy machine still prints, but says so where the numbers are.
const busy = others !== undefined ? others > 0.1 : machine.loadAverageBefore[0] > 0.5 * machine.cpus;
report.busy = busy;
const header = headerOf(report);
console.log(`\n## Targets\n${header}\n\n${targetTable(ctx.targets)}\n`);
console.log(`## Figures (median and min–max over ${ctx.reps} repetitions after warm-up)\n\n${figureTable(ctx.figures)}\n`);
if (ctx.notes.length > 0) console.log(`## Notes\n\n${ctx.notes.map((n) => `- ${n}`).join('\n')}\n`);

// Quick runs get their own files, so a smoke test never overwrites the full results the README shows.
const name = quick ? 'quick' : 'latest';
mkdirSync(resultsDir, { recursive: true });
writeFileSync(new URL(`${name}.json`, resultsDir), JSON.stringify(report, null, 2) + '\n');
const charts = writeCharts(report, name);
const met = ctx.targets.filter((t) => t.status === 'met').length;
console.log(`${met} of ${ctx.targets.length} targets met; wrote bench/results/${name}.json, ${name}.svg and ${charts.join(', ')}`);
if (args.includes('--readme')) {
  writeReadmeTable(new URL('../README.md', import.meta.url), `${header}\n\n${targetTable(ctx.targets)}`);
  console.log("updated the table in README.md's Benchmarks section");
}
