// `--readme`: replaces the table between the markers in README.md's
// Benchmarks section with this run's, so the README shows what was measured.
import { readFileSync, writeFileSync } from 'node:fs';

const START = '<!-- bench:table:start -->';
const END = '<!-- bench:table:end -->';

export function writeReadmeTable(url, markdown) {
  const text = readFileSync(url, 'utf8');
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md has no ${START} … ${END} markers; add them where the table belongs`);
  writeFileSync(url, `${text.slice(0, from + START.length)}\n${markdown}\n${text.slice(to)}`);
}
