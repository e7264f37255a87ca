export { Ops, type MatmulOptions, type OutOptions, type VarianceOptions } from './ops.js';
