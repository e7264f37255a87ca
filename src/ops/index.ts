export { Ops, type Complex, type Conv2dOptions, type FftOptions, type MatmulOptions, type OutOptions, type VarianceOptions } from './ops.js';
export type { KernelBuild } from '../modules/relaxed-simd.js';
