// Types for the tests that render charts from a results file (bench/lib/svg.mjs is plain JS).
export interface Figure {
  id: string;
  section: string;
  label: string;
  unit: string;
  median: number;
  min?: number;
  max?: number;
}

export interface Report {
  date: string;
  mode: string;
  machine: { cpu: string; cpus: number; node: string };
  targets: unknown[];
  figures: Figure[];
}

export declare function drawQuestionCharts(report: Report): Array<{ file: string; title: string; svg: string }>;
export declare function drawSvg(targets: unknown[], meta: string, figures?: Figure[]): string;
