// The app's own worker script: wasmpool's worker plus the app's kernels (README "Bundlers", TypeScript).
import { registerKernels } from 'wasmpool/worker';
import * as kernels from './tasks.ts';

registerKernels(kernels);
