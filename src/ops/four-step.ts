import type { FftPlan, FftPlans } from './fft-plans.js';
import type { Stage } from './run.js';
import type { Workspace } from './workspace.js';

type FloatConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

/**
 * Powers of two from FOUR_STEP_MIN on are split over the workers by the four-step plan on pools of at least
 * FOUR_STEP_WORKERS; below them the one-worker Stockham is used. The four-step plan does the Stockham's work plus
 * a twiddle pass and two passes over memory in cache-line panels: on one thread (AMD EPYC, Node 20) it took
 * 1.2–1.6× the Stockham's time for f32 at 2^16–2^20 (1.25–1.65× for f64, 2.4× at f64 2^18), so w workers can at
 * best gain w/1.6 less two round trips; on two workers of this shared 2-core machine 2^20 f32 measured 0.91× of
 * one worker (6.35 against 5.79 ms; GEMM 512² scaled 1.74× in the same minute), so two workers keep the Stockham.
 */
export const FOUR_STEP_MIN = 2 ** 18;
export const FOUR_STEP_WORKERS = 3;

/** How the plan cuts n: n1 rows of n2 columns, n1 = 2^⌊log2(n)/2⌋; panels of one 64-byte cache line of elements. */
export function fourStepShape(n: number, bytesPerElement: number): { n1: number; n2: number; panel: number } {
  const n1 = 2 ** Math.floor(Math.log2(n) / 2);
  return { n1, n2: n / n1, panel: 64 / bytesPerElement };
}

/** The panel twiddles W_n^(l·k1) at k1·panel + l (cos, -sin), for l < panel, k1 < n1. */
export function panelTwiddles(n: number, n1: number, panel: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(n1 * panel);
  const im = new Float64Array(n1 * panel);
  for (let k1 = 0; k1 < n1; k1++) {
    for (let l = 0; l < panel; l++) {
      const angle = (2 * Math.PI * ((l * k1) % n)) / n;
      re[k1 * panel + l] = Math.cos(angle);
      im[k1 * panel + l] = -Math.sin(angle);
    }
  }
  return { re, im };
}

/** What the two stages read and write: the input, the output, and the transform's direction. */
export interface FourStepArgs {
  type: FloatConstructor;
  xr: number;
  xi: number;
  yr: number;
  yi: number;
  inverse: boolean;
}

/**
 * The four-step FFT (assembly/ops/fft.ts, `fourStepColumns` and `fourStepRows`): the column transforms with
 * their twiddles into an n1 × n2 intermediate, then the row transforms into the output, each stage split over
 * the workers by panels of whole cache lines. Each panel is computed the same way whatever the split, so the
 * result is the same bits on any number of workers (it differs from the one-worker Stockham's in the last bits).
 */
export function* fourStepFft(ws: Workspace, plans: FftPlans, plan: FftPlan, args: FourStepArgs, ns: number): Generator<Stage, void, unknown> {
  const { type, xr, xi, yr, yi, inverse } = args;
  const { n1, n2, panel, tpr, tpi } = plans.fourStep(plan, type);
  const suffix = type === Float32Array ? 'F32' : 'F64';
  const columns = plans.acquire(type, n1 * panel);
  const rows = plans.acquire(type, n2 * panel);
  try {
    const zr = ws.scratch(type, plan.n).byteOffset;
    const zi = ws.scratch(type, plan.n).byteOffset;
    const buffer = (length: number): number => ws.scratch(type, 4 * length * panel).byteOffset;
    const flag = inverse ? 1 : 0;
    yield ws.split(
      `opsFftColumns${suffix}`,
      n2,
      panel,
      panel,
      (c0, c1) => [
        n1,
        n2,
        xr,
        xi,
        zr,
        zi,
        c0,
        c1,
        buffer(n1),
        columns.twr.byteOffset,
        columns.twi.byteOffset,
        plan.twr.byteOffset,
        plan.twi.byteOffset,
        tpr.byteOffset,
        tpi.byteOffset,
        flag,
      ],
      ns / 2,
    );
    yield ws.split(
      `opsFftRows${suffix}`,
      n1,
      panel,
      panel,
      (r0, r1) => [n1, n2, zr, zi, yr, yi, r0, r1, buffer(n2), rows.twr.byteOffset, rows.twi.byteOffset, flag],
      ns / 2,
    );
  } finally {
    plans.release(columns);
    plans.release(rows);
  }
}
