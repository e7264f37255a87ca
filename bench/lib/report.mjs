// The printed table: every target with its measured value and met/missed,
// then every figure. A missed target is printed as missed, never dropped.
import { fmt } from './format.mjs';

export function targetTable(targets) {
  const rows = targets.map((t) => [
    t.section,
    t.label,
    `${t.goal.op === '>=' ? '≥' : '≤'} ${fmt(t.goal.value)}${unit(t)}`,
    t.value ? `${fmt(t.value.median)}${unit(t)} (${fmt(t.value.min)}–${fmt(t.value.max)})` : '–',
    statusText(t.status),
    t.detail ?? '',
  ]);
  return table(['question', 'target', 'goal', 'measured (range)', 'status', 'detail'], rows);
}

export function figureTable(figures) {
  const rows = figures.map((f) => [f.section, f.label, f.unit, fmt(f.median), fmt(f.min), fmt(f.max), String(f.reps ?? '')]);
  return table(['question', 'figure', 'unit', 'median', 'min', 'max', 'reps'], rows);
}

/** A target is a ratio between two contenders unless its goal names another unit (µs). */
function isRatio(t) {
  return (t.goal.unit ?? '×') === '×';
}

function unit(t) {
  return isRatio(t) ? '×' : ` ${t.goal.unit}`;
}

function statusText(status) {
  if (status === 'met') return 'met';
  if (status === 'missed') return 'MISSED';
  return status;
}

/** A GitHub-flavoured markdown table: readable in a terminal and pasteable into the README. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}
