// A bare worker_thread running one built-in WASM kernel on the pool's shared
// memory, with no pool around it: the bandwidth reference for the shared-array
// sum. It answers each {kernel, args} with the kernel's result.
import { parentPort, workerData } from 'node:worker_threads';

const { module, memory } = workerData;
const imports = { env: { memory } };
for (const entry of WebAssembly.Module.imports(module)) {
  if (entry.kind !== 'function') continue;
  (imports[entry.module] ??= {})[entry.name] = entry.name === 'now' ? () => performance.now() : () => 0;
}
const { exports } = new WebAssembly.Instance(module, imports);
parentPort.on('message', ({ kernel, args }) => parentPort.postMessage(exports[kernel](...args)));
