import type { ModuleSource } from './options.js';
import type { Transport } from './transport/types.js';
import type { PreparedModule } from './wasm/prepare-module.js';

/** What differs between Node and browsers; each entry point installs its own. */
export interface Platform {
  transport: Transport;
  prepareModule(source: ModuleSource | undefined, kind?: 'wasm' | 'js'): PreparedModule;
  /** Serializes a task payload for the shared work queue (node:v8); absent where workers cannot decode it. */
  serialize?: (value: unknown) => Uint8Array;
}

let current: Platform | undefined;

export function installPlatform(platform: Platform): void {
  current = platform;
}

export function platform(): Platform {
  if (!current) throw new Error('wasmpool: no platform installed; import from "wasmpool", not from an internal file');
  return current;
}
