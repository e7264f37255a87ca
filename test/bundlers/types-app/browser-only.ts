// Compiled only with the `browser` condition: the browser build's PoolOptions leave out the Node-only options.
import { Pool } from 'wasmpool';

// @ts-expect-error resourceLimits is a Node option; a Web Worker has no per-thread heap limit
void new Pool({ resourceLimits: { maxOldGenerationSizeMb: 64 } });
// @ts-expect-error maxWorkerMemory needs a per-worker memory probe, which browsers do not have
void Pool.create({ maxWorkerMemory: 256 });
void new Pool({ workers: 2, minWorkers: 1, idleTimeout: 1_000 });
