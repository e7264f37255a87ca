// The per-question bench charts, drawn from the committed results file: nothing is measured here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { drawQuestionCharts, type Report } from '../../bench/lib/svg.mjs';

// A results file kept as a fixture: the charts are checked against known figures, not whatever the last bench run wrote.
const latest = JSON.parse(readFileSync(new URL('../fixtures/bench-results.json', import.meta.url), 'utf8')) as Report;
const barLabels = (svg: string): string[] => [...svg.matchAll(/text-anchor="end"[^>]*>([^<]+)</g)].map((m) => m[1]);

describe('bench question charts', () => {
  it('draws one chart per dispatch question and one for the kernels', () => {
    expect(drawQuestionCharts(latest).map((c) => c.file)).toEqual(['dispatch-roundtrip', 'dispatch-burst', 'dispatch-items', 'kernels']);
  });

  it('gives every contender in the results its own bar, wasmpool first and in bold', () => {
    const roundtrip = drawQuestionCharts(latest).find((c) => c.file === 'dispatch-roundtrip')!.svg;
    expect(barLabels(roundtrip)).toEqual([
      'wasmpool get()',
      'wasmpool getSync()',
      'tinypool',
      'piscina',
      'workerpool',
      'bare postMessage (1 worker)',
      'Python 3.11.7 Pool',
    ]);
    expect(roundtrip).toContain('font-weight="bold">wasmpool get()<');
  });

  it('leaves out a peer the run did not have (no Python), and a question with no figures', () => {
    const withoutPython = { ...latest, figures: latest.figures.filter((f) => !f.id.includes('python') && !f.id.startsWith('burst.')) };
    const charts = drawQuestionCharts(withoutPython);
    expect(charts.map((c) => c.file)).toEqual(['dispatch-roundtrip', 'dispatch-items', 'kernels']);
    expect(barLabels(charts[0].svg)).not.toContain('Python 3.11.7 Pool');
  });

  it('shows each kernel at both sizes as its WASM speed-up over the JS twin', () => {
    const kernels = drawQuestionCharts(latest).find((c) => c.file === 'kernels')!.svg;
    const labels = barLabels(kernels);
    expect(labels).toContain('sumF64  n=4,096');
    expect(labels).toContain('sumF64  n=8,388,608');
    expect(labels).toContain('countPrimes  [0, 2e+7)');
    expect(labels.length).toBe(latest.figures.filter((f) => f.section === 'kernels' && f.id.endsWith('.ratio')).length);
    expect(kernels).toContain('>3.83×<');
  });
});
