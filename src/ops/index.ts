export { Ops, type OutOptions, type VarianceOptions } from './ops.js';
