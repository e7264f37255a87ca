// The app's own AssemblyScript kernel, built with `wasmpool build kernel.ts -o kernel.wasm`.
export function cube(x: f64): f64 {
  return x * x * x;
}
