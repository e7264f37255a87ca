import type { SharedTypedArray } from '../shared/typed-arrays.js';
import { bluesteinFilter, bluesteinLength, chirp, kernelTwiddles } from './reference.js';
import type { OpsHost } from './workspace.js';
import { fourStepShape, panelTwiddles } from './four-step.js';

type FloatConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

/** The tables one FFT length needs, in the pool's shared memory (read-only for the kernels). */
export interface FftPlan {
  readonly n: number;
  /** n for a power of two; Bluestein's power-of-two length M >= 2n - 1 otherwise. */
  readonly m: number;
  readonly pow2: boolean;
  /** W_m^j, j < m: (cos, -sin); then W_m^(2p), W_m^(3p) for p < m/4 (the kernels' first stage). */
  readonly twr: Float32Array | Float64Array;
  readonly twi: Float32Array | Float64Array;
  /** Bluestein only: the chirp (n) and the transformed filter (m). */
  readonly chirp?: { re: Float32Array | Float64Array; im: Float32Array | Float64Array };
  readonly filter?: { re: Float32Array | Float64Array; im: Float32Array | Float64Array };
  users: number;
  readonly views: SharedTypedArray[];
  /** The four-step split of a large power of two (src/ops/four-step.ts), made on its first use. */
  fourStep?: FourStepTables;
}

/** A four-step plan's own table: W_n^(l·k1) at k1·PW + l, l < PW (one cache line of lanes), k1 < n1. */
export interface FourStepTables {
  readonly n1: number;
  readonly n2: number;
  readonly panel: number;
  readonly tpr: Float32Array | Float64Array;
  readonly tpi: Float32Array | Float64Array;
}

/** Plans kept per pool (twiddles of 2^20 take ~40 ms of Math.cos/sin to build; a plan is reused by later calls). */
const KEPT = 8;

/**
 * The FFT plans of one pool, least recently used last. A plan in use by an operation is never freed; past
 * KEPT plans, the least recently used idle one is freed when another is made.
 */
export class FftPlans {
  readonly #host: OpsHost;
  readonly #plans = new Map<string, FftPlan>();

  constructor(host: OpsHost) {
    this.#host = host;
  }

  acquire(type: FloatConstructor, n: number): FftPlan {
    const key = `${type.name}:${n}`;
    let plan = this.#plans.get(key);
    if (plan) this.#plans.delete(key);
    else plan = this.#make(type, n);
    this.#plans.set(key, plan); // most recent last
    plan.users++;
    this.#evict();
    return plan;
  }

  /** The four-step tables of a power-of-two plan (n = n1·n2, n1 = 2^⌊log2(n)/2⌋), made once and kept with it. */
  fourStep(plan: FftPlan, type: FloatConstructor): FourStepTables {
    if (plan.fourStep) return plan.fourStep;
    const { n1, n2, panel } = fourStepShape(plan.n, type.BYTES_PER_ELEMENT);
    const table = panelTwiddles(plan.n, n1, panel);
    const [tpr, tpi] = [table.re, table.im].map((values) => {
      const view = this.#host.alloc(type, values.length);
      plan.views.push(view);
      view.set(values);
      return view;
    });
    plan.fourStep = { n1, n2, panel, tpr, tpi };
    return plan.fourStep;
  }

  release(plan: FftPlan): void {
    plan.users--;
    this.#evict();
  }

  #evict(): void {
    for (const [key, plan] of this.#plans) {
      if (this.#plans.size <= KEPT) return;
      if (plan.users > 0) continue;
      this.#plans.delete(key);
      for (const view of plan.views) this.#host.free(view);
    }
  }

  #make(type: FloatConstructor, n: number): FftPlan {
    const views: SharedTypedArray[] = [];
    const copy = (values: Float64Array): Float32Array | Float64Array => {
      const view = this.#host.alloc(type, values.length);
      views.push(view);
      view.set(values);
      return view;
    };
    try {
      const pow2 = (n & (n - 1)) === 0;
      const m = pow2 ? n : bluesteinLength(n);
      const tw = kernelTwiddles(m);
      const plan: FftPlan = { n, m, pow2, twr: copy(tw.re), twi: copy(tw.im), users: 0, views };
      if (pow2) return plan;
      const c = chirp(n);
      const f = bluesteinFilter(n);
      return { ...plan, chirp: { re: copy(c.re), im: copy(c.im) }, filter: { re: copy(f.re), im: copy(f.im) } };
    } catch (error) {
      for (const view of views) this.#host.free(view);
      throw error;
    }
  }
}
