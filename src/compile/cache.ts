/**
 * Compiled kernels, keyed by what decides the output: the entry file, the
 * compiler version, the flags, and the content of every file asc read for it.
 * A manifest per (entry, version, flags) lists those files with their hashes;
 * a hit needs each of them unchanged, so editing an imported file recompiles.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SourceFile } from './protocol.js';

interface Manifest {
  files: Array<{ path: string; sha256: string }>;
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** `node_modules/.cache/wasmpool` of the project the process runs in (as find-cache-dir does), else the temp dir. */
export function defaultCacheDir(cwd = process.cwd()): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const candidate = join(dir, 'node_modules', '.cache', 'wasmpool');
      if (writable(candidate)) return candidate;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  return join(tmpdir(), 'wasmpool-cache');
}

/** Written to a temp name and renamed: two processes compiling at once never read half a file. */
function writeAtomically(path: string, data: string | Uint8Array): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, path);
}

export class CompileCache {
  constructor(readonly dir: string) {}

  #manifestPath(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  /** Per key and content: the same files under other flags or another compiler are another binary. */
  #binaryPath(key: string, contentKey: string): string {
    return join(this.dir, `${key.slice(0, 16)}-${contentKey.slice(0, 32)}.wasm`);
  }

  static key(entry: string, compilerVersion: string, flags: readonly string[]): string {
    return sha256(JSON.stringify([entry, compilerVersion, flags]));
  }

  /** The cached binary, if every file the last compile read is unchanged. */
  lookup(key: string): Uint8Array | undefined {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(this.#manifestPath(key), 'utf8')) as Manifest;
    } catch {
      return undefined;
    }
    const contentKey = sha256(JSON.stringify(manifest.files));
    for (const file of manifest.files) {
      let text: string;
      try {
        text = readFileSync(file.path, 'utf8');
      } catch {
        return undefined;
      }
      if (sha256(text) !== file.sha256) return undefined;
    }
    try {
      return readFileSync(this.#binaryPath(key, contentKey));
    } catch {
      return undefined;
    }
  }

  /** Best effort: a cache that cannot be written costs a recompile next time, not a failure now. */
  store(key: string, files: readonly SourceFile[], wasm: Uint8Array): void {
    const manifest: Manifest = { files: files.map((file) => ({ path: file.path, sha256: sha256(file.text) })).sort((a, b) => a.path.localeCompare(b.path)) };
    try {
      mkdirSync(this.dir, { recursive: true });
      const binary = this.#binaryPath(key, sha256(JSON.stringify(manifest.files)));
      writeAtomically(binary, wasm);
      writeAtomically(this.#manifestPath(key), JSON.stringify(manifest));
      // The manifest now names only this binary: earlier ones for the same entry would only pile up.
      const prefix = `${key.slice(0, 16)}-`;
      for (const file of readdirSync(this.dir)) {
        if (file.startsWith(prefix) && join(this.dir, file) !== binary) rmSync(join(this.dir, file), { force: true });
      }
    } catch {
      // read-only or full disk: compile again next time
    }
  }
}
