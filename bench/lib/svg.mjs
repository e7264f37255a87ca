// Draws bench/results/latest.svg by hand: one horizontal bar per target, on a
// log axis of "measured relative to goal" (1 = exactly on target, right of
// the line = met, left = missed), with the repetitions' range as a whisker.
// Normalising to the goal lets ratios (×) and latencies (µs) share one axis;
// each bar's text still gives the real measured value and the goal.
import { fmt } from './format.mjs';

const ROW = 26;
const LABEL_W = 430;
const PLOT_W = 420;
const VALUE_W = 230;
const TOP = 64;

export function drawSvg(targets, meta, figures = []) {
  const rows = targets.map((t) => ({ t, score: t.value ? scoreOf(t, t.value) : undefined }));
  const finite = rows.flatMap((r) => (r.score ? [r.score.low, r.score.high, r.score.median] : [])).filter((v) => v > 0 && Number.isFinite(v));
  // Clamped so one wild whisker cannot squash every bar against the goal line.
  const lo = Math.max(0.01, Math.min(0.1, ...finite));
  const hi = Math.min(1e4, Math.max(10, ...finite));
  const x = (v) => LABEL_W + (PLOT_W * (Math.log10(clamp(v, lo, hi)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const width = LABEL_W + PLOT_W + VALUE_W;
  const speedups = figures.filter((f) => f.ideal !== undefined);
  const scalingTop = TOP + rows.length * ROW + 50;
  const height = scalingTop + (speedups.length > 0 ? 40 + speedups.length * ROW : 0) + 10;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(
    text(10, 22, `wasmpool bench: each target, measured relative to its goal (log scale; right of the line = met)`, 'font-weight="bold" font-size="14"'),
  );
  out.push(text(10, 42, esc(meta), 'fill="#555"'));
  for (const tick of ticks(lo, hi)) {
    out.push(`<line x1="${x(tick)}" x2="${x(tick)}" y1="${TOP - 6}" y2="${TOP + rows.length * ROW}" stroke="${tick === 1 ? '#000' : '#ddd'}"/>`);
    out.push(text(x(tick), TOP + rows.length * ROW + 16, `${fmt(tick)}×`, 'text-anchor="middle" fill="#555"'));
  }
  rows.forEach(({ t, score }, i) => {
    const y = TOP + i * ROW;
    out.push(text(LABEL_W - 8, y + 16, esc(`${t.section}: ${t.label}`), 'text-anchor="end"'));
    if (!score) {
      out.push(text(LABEL_W + 6, y + 16, esc(t.status), 'fill="#888" font-style="italic"'));
      return;
    }
    const met = t.status === 'met';
    const x0 = x(1);
    const x1 = x(score.median);
    out.push(
      `<rect x="${Math.min(x0, x1)}" y="${y + 5}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${ROW - 10}" fill="${met ? '#2e9d4b' : '#d2452f'}"/>`,
    );
    out.push(`<line x1="${x(score.low)}" x2="${x(score.high)}" y1="${y + ROW / 2}" y2="${y + ROW / 2}" stroke="#333"/>`);
    const unit = (t.goal.unit ?? '×') === '×' ? '×' : ` ${t.goal.unit}`;
    const goal = `${t.goal.op === '>=' ? '≥' : '≤'} ${fmt(t.goal.value)}${unit}`;
    out.push(
      text(
        LABEL_W + PLOT_W + 8,
        y + 16,
        esc(`${fmt(t.value.median)}${unit} (goal ${goal}) ${met ? 'met' : 'MISSED'}`),
        `fill="${met ? '#1d6b33' : '#a3301f'}"`,
      ),
    );
  });
  if (speedups.length > 0) out.push(...scalingPanel(speedups, scalingTop));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Speed-up of each parallel job over one worker (green/red bar) next to the ideal (grey outline). */
function scalingPanel(speedups, top) {
  const out = [text(10, top, 'Scaling: speed-up over 1 worker (bar, with min–max whisker) next to the ideal (outline)', 'font-weight="bold" font-size="14"')];
  const most = Math.max(...speedups.map((f) => Math.max(f.ideal, f.max)));
  const x = (v) => LABEL_W + (PLOT_W * Math.max(0, v)) / most;
  speedups.forEach((f, i) => {
    const y = top + 14 + i * ROW;
    const good = f.median >= 0.95 * f.ideal;
    out.push(text(LABEL_W - 8, y + 16, esc(f.label), 'text-anchor="end"'));
    out.push(`<rect x="${LABEL_W}" y="${y + 4}" width="${x(f.ideal) - LABEL_W}" height="${ROW - 8}" fill="none" stroke="#999" stroke-dasharray="3 2"/>`);
    out.push(`<rect x="${LABEL_W}" y="${y + 7}" width="${Math.max(1, x(f.median) - LABEL_W)}" height="${ROW - 14}" fill="${good ? '#2e9d4b' : '#d2452f'}"/>`);
    out.push(`<line x1="${x(f.min)}" x2="${x(f.max)}" y1="${y + ROW / 2}" y2="${y + ROW / 2}" stroke="#333"/>`);
    out.push(text(LABEL_W + PLOT_W + 8, y + 16, `${fmt(f.median)}× (ideal ${fmt(f.ideal)}×)`));
  });
  return out;
}

/** How many times better than the goal: >1 met, <1 missed, whatever the direction of the goal. */
function scoreOf(t, v) {
  const s = (value) => (t.goal.op === '>=' ? value / t.goal.value : t.goal.value / value);
  const a = s(v.min);
  const b = s(v.max);
  return { median: s(v.median), low: Math.min(a, b), high: Math.max(a, b) };
}

function ticks(lo, hi) {
  const out = [];
  for (let p = Math.ceil(Math.log10(lo)); p <= Math.floor(Math.log10(hi)); p++) out.push(10 ** p);
  return out;
}

function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

function text(x, y, content, attrs = '') {
  return `<text x="${x}" y="${y}" ${attrs}>${content}</text>`;
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---------------------------------------------------------------------------------------------
// Question charts: one bar per contender, read at a glance. Drawn from a results file's figures
// (bench/results/latest.json), so they can be re-rendered without running anything.

const CHART = { label: 250, plot: 440, value: 150, row: 24, top: 70 };
const OURS = '#2f6fdf';
const PEER = '#9aa3ad';

/** Dispatch questions: which figures answer each, the unit, and which way is better. */
const DISPATCH = [
  { file: 'dispatch-roundtrip', prefix: 'roundtrip.', title: 'Round trip, one task at a time (median, whisker to p99)', better: 'lower' },
  { file: 'dispatch-burst', prefix: 'burst.', title: '10,000 tasks submitted at once', better: 'higher' },
  { file: 'dispatch-items', prefix: 'items.', title: '1,000,000 tiny items (square)', better: 'higher' },
];

/** Every chart the results allow: [{ file, title, svg }], skipping a question with no figures. */
export function drawQuestionCharts(report) {
  const meta = `${report.machine?.cpu ?? ''}, ${report.machine?.cpus ?? '?'} CPUs, Node ${report.machine?.node ?? '?'}, ${report.mode}, ${report.date}`;
  const charts = [];
  for (const question of DISPATCH) {
    const bars = dispatchBars(report.figures, question.prefix);
    if (bars.length > 0) charts.push({ file: question.file, title: question.title, svg: barChart({ ...question, meta, bars }) });
  }
  const kernels = kernelBars(report.figures);
  if (kernels.length > 0) {
    const title = 'Kernels: WASM speed-up over the JS twin, one thread (1× = as fast as JS)';
    charts.push({ file: 'kernels', title, svg: barChart({ title, better: 'higher', meta, bars: kernels, reference: 1, log: true }) });
  }
  return charts;
}

/** Contender name from a figure label: "round trip, one at a time: tinypool (median)" → "tinypool". */
function contender(label) {
  return label
    .slice(label.indexOf(': ') + 2)
    .replace(/ \((median|p99)\)$/, '')
    .replace(/, [\d,]+ items$/, '');
}

function dispatchBars(figures, prefix) {
  const mine = figures.filter((f) => f.id.startsWith(prefix) && !f.id.endsWith('.p99'));
  return mine.map((f) => {
    const p99 = figures.find((g) => g.id === f.id.replace(/\.median$/, '.p99') && g.id !== f.id);
    const name = contender(f.label);
    return { name, unit: f.unit, value: f.median, low: p99 ? undefined : f.min, high: p99 ? p99.median : f.max, ours: name.startsWith('wasmpool') };
  });
}

/** Per kernel, its two sizes: the small (in cache) and the large problem, from the `.ratio` figures. */
function kernelBars(figures) {
  return figures
    .filter((f) => f.section === 'kernels' && f.id.endsWith('.ratio'))
    .map((f) => {
      const [, kernel] = f.id.split('.');
      // "n=4,096 (32 KiB), in L1" → "n=4,096"; "[0, 1e+5)" stays whole.
      const size = /^(\[[^)]*\)|.+?)(?= \(|, |$)/.exec(f.label.slice(f.label.indexOf(', ') + 2))[1];
      return { name: `${kernel}  ${size}`, unit: '×', value: f.median, low: f.min, high: f.max, ours: f.id.includes('.0.') };
    });
}

/** Horizontal bars from 0 (or from the reference on a log axis), value text at the right. */
function barChart({ title, better, meta, bars, reference, log }) {
  const { label, plot, value, row, top } = CHART;
  const all = bars.flatMap((b) => [b.value, b.high ?? b.value, b.low ?? b.value]).filter((v) => v > 0 && Number.isFinite(v));
  const values = bars.map((b) => b.value).filter((v) => v > 0);
  // Linear unless the bars differ by more than 50×: then the small ones would vanish.
  const useLog = log ?? Math.max(...values) / Math.min(...values) > 50;
  const lo = useLog ? 10 ** Math.floor(Math.log10(Math.min(...all, reference ?? Infinity))) : 0;
  // A linear axis ends just past the longest bar; a whisker beyond it (a p99) is clipped there.
  const hi = useLog ? 10 ** Math.ceil(Math.log10(Math.max(...all))) : Math.max(...values) * 1.25;
  const x = (v) =>
    label + (useLog ? (plot * (Math.log10(clamp(v, lo, hi)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo)) : (plot * clamp(v, 0, hi)) / hi);
  const width = label + plot + value;
  const height = top + bars.length * row + 34;
  const unit = bars[0].unit;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    text(10, 22, esc(title), 'font-weight="bold" font-size="14"'),
    text(
      10,
      40,
      esc(`${unit}, ${better} is better${useLog ? ' (log scale)' : ''}; blue: wasmpool${reference ? ' (dark: small problem, light: large)' : ''}`),
      'fill="#333"',
    ),
    text(10, 56, esc(meta), 'fill="#777" font-size="11"'),
  ];
  const axisTicks = useLog ? ticks(lo, hi) : niceTicks(hi);
  for (const tick of axisTicks) {
    out.push(`<line x1="${x(tick)}" x2="${x(tick)}" y1="${top - 4}" y2="${top + bars.length * row}" stroke="${tick === reference ? '#000' : '#e3e3e3'}"/>`);
    out.push(text(x(tick), top + bars.length * row + 16, `${fmt(tick)}${unit === '×' ? '×' : ''}`, 'text-anchor="middle" fill="#555"'));
  }
  const base = useLog ? (reference ?? lo) : 0;
  bars.forEach((b, i) => {
    const y = top + i * row;
    const colour = reference ? (b.ours ? OURS : '#8fb3f0') : b.ours ? OURS : PEER;
    const x0 = x(base);
    const x1 = x(b.value);
    out.push(text(label - 8, y + 16, esc(b.name), `text-anchor="end"${b.ours && !reference ? ' font-weight="bold"' : ''}`));
    out.push(`<rect x="${Math.min(x0, x1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${row - 8}" fill="${colour}"/>`);
    if (b.high !== undefined) out.push(`<line x1="${x(b.low ?? b.value)}" x2="${x(b.high)}" y1="${y + row / 2}" y2="${y + row / 2}" stroke="#333"/>`);
    const shown = unit === '×' ? `${fmt(b.value)}×` : `${fmt(b.value)} ${unit}`;
    out.push(text(label + plot + 8, y + 16, esc(shown)));
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceTicks(hi) {
  const step = 10 ** Math.floor(Math.log10(hi / 4));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => hi / s <= 6) ?? step * 10;
  const out = [];
  for (let t = 0; t <= hi; t += nice) out.push(t);
  return out;
}
