// asc resolves `import ... from "wasmpool/assembly"` to this file (it does not read package.json
// "exports"): the helper library for kernels, assembly/lib/index.ts.
export * from './assembly/lib/index';
