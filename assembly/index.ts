// wasmpool's built-in kernel module. This file only re-exports; the bodies live in kernels/<topic>.ts.
export * from "./kernels/basic";
