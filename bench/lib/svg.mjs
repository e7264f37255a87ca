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
