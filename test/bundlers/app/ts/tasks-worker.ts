// The app's own worker script: wasmpool's worker plus the app's kernels (README "Bundlers", TypeScript).
import * as twins from 'wasmpool/kernels-js';
import { registerKernels } from 'wasmpool/worker';
import * as kernels from './tasks.ts';

// The app's kernels, and the JavaScript twins of the built-in ones (README "Built-in kernels").
registerKernels({ ...twins, ...kernels });
