// wasmpool's helper library for AssemblyScript kernels. Import it as
//   import { log, sleep, now, getF64, setF64 } from "wasmpool/assembly";
// Each function is a host import the pool's workers provide (module "wasmpool").

/** Writes a line to standard output from inside a worker, in order with the main thread's output. */
@external("wasmpool", "log")
export declare function log(message: string): void;

/** Writes `message` followed by a number (no string building, so no allocation). */
@external("wasmpool", "logNumber")
export declare function logNumber(message: string, value: f64): void;

/** Blocks this worker for `ms` milliseconds (Atomics.wait; other workers keep running). */
@external("wasmpool", "sleep")
export declare function sleep(ms: f64): void;

/** High-resolution time in milliseconds (performance.now()). */
@external("wasmpool", "now")
export declare function now(): f64;

/** A random number in [0, 1) from the host's Math.random(). */
@external("wasmpool", "random")
export declare function random(): f64;
export * from "./shared";
