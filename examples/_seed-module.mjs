// The AssemblyScript task of the tutorial scenarios (assembly/examples/seed.ts), built by `npm install`.
export const SEED_MODULE = new URL('../build/examples/seed.wasm', import.meta.url);
