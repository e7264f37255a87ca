import type { SourceSignature } from '../wasm/kernel-types.js';

/** What the main thread asks of the compiler thread, and its answer. */
export interface CompileRequest {
  /** file: URL of asc's JS API (`assemblyscript/asc`), as resolved from the project. */
  compilerUrl: string;
  /** Absolute path of the entry file. */
  entry: string;
  flags: readonly string[];
  /** wasmpool's own package root: `import "wasmpool/assembly"` resolves there when no node_modules/wasmpool does. */
  packageRoot: string;
  /** Path of the AssemblyScript runtime compiled in place of asc's stub runtime (assembly/lib/runtime.ts). */
  runtime?: string;
  /** Paths in messages and source maps are relative to this folder (the project's); default: the entry's folder. */
  projectRoot?: string;
}

/** A source file asc read, for the cache key. */
export interface SourceFile {
  path: string;
  text: string;
}

export type CompileResponse =
  /** `absent`: every path asc looked for a file at and found none. */
  | { ok: true; wasm: Uint8Array; files: SourceFile[]; absent: string[]; kernels: Array<[string, SourceSignature]>; sourceMap?: string }
  /** `message` holds asc's diagnostics, each led by file:line:column. */
  | { ok: false; message: string };
