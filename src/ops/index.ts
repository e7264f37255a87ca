export { Ops, type Conv2dOptions, type MatmulOptions, type OutOptions, type VarianceOptions } from './ops.js';
