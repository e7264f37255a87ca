/**
 * Compiled kernels, keyed by what decides the output: the entry file, the
 * compiler version, the flags, the content of every file asc read for it, and
 * every place asc looked for a file and found none (a file created there later
 * changes what an import resolves to). A manifest per (entry, version, flags)
 * lists those, and names the binary with its SHA-256.
 *
 * Another local user must not be able to choose what we run (see
 * docs/RELIABILITY.md, "Security"): the folder is per user and created 0700,
 * and is used only when lstat says it is a real directory that we own and no
 * one else may write; cache files are read only when they are regular files we
 * own, and the binary only when its hash matches the manifest; files are
 * written under random names created exclusively, then renamed into place.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileProblem, readRegularFile, replaceFile } from './files.js';
import type { SourceFile } from './protocol.js';

const MANIFEST_VERSION = 3;

interface Manifest {
  version: typeof MANIFEST_VERSION;
  key: string;
  files: Array<{ path: string; sha256: string }>;
  /** Paths asc tried and found no file at. */
  absent: string[];
  wasm: { name: string; sha256: string };
}

/** What a compile read, as the cache needs it. */
export interface CompileInputs {
  files: readonly SourceFile[];
  absent: readonly string[];
}

/** Manifests kept per cache folder; the least recently used beyond this are removed (with their binaries). */
export const MAX_CACHE_ENTRIES = 64;
/** A temporary file older than this was left by a process that died while writing: removed when pruning. */
const STALE_TEMP_MS = 60 * 60 * 1000;
const TEMP_PREFIX = '.tmp-';

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The uid files must belong to, or undefined where the platform has no uids (Windows: the folder is per user). */
const ownUid = (): number | undefined => process.getuid?.();

function isOwnDirectory(path: string): boolean {
  try {
    const stats = lstatSync(path);
    const uid = ownUid();
    return stats.isDirectory() && (uid === undefined || stats.uid === uid);
  } catch {
    return false;
  }
}

/**
 * Where compiled modules are kept: `node_modules/.cache/wasmpool` of the project the kernel file is
 * in (the nearest package.json above it, when its node_modules is a folder of ours), else the
 * per-user cache folder (`$XDG_CACHE_HOME/wasmpool`, else `~/.cache/wasmpool`; `%LOCALAPPDATA%` on
 * Windows). Never a folder shared by every user, such as the temp dir.
 */
export function defaultCacheDir(entry: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    if (fileProblem(join(dir, 'package.json')) === undefined) {
      if (isOwnDirectory(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'wasmpool');
      break;
    }
    if (dirname(dir) === dir) break;
  }
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'wasmpool');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'wasmpool', 'cache');
  let home: string;
  try {
    home = homedir();
  } catch {
    return undefined; // no home (a uid without a passwd entry and no HOME): no cache
  }
  return home ? join(home, '.cache', 'wasmpool') : undefined;
}

/** Why `dir` must not be used as a cache, or undefined when it is safe (creating it, 0700, if missing). */
export function cacheDirProblem(dir: string): string | undefined {
  try {
    // recursive: parents such as ~/.cache may be missing too; each new folder is the user's own, 0700.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    return `it cannot be created (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  const stats = lstatSync(dir);
  if (stats.isSymbolicLink()) return 'it is a symbolic link (a cache folder must be a real folder)';
  if (!stats.isDirectory()) return 'it is not a folder';
  const uid = ownUid();
  if (uid === undefined) return undefined;
  if (stats.uid !== uid) return `it is owned by uid ${stats.uid}, not by this process's uid ${uid}`;
  if ((stats.mode & 0o022) !== 0) return `others may write to it (mode ${(stats.mode & 0o777).toString(8)})`;
  return undefined;
}

const warned = new Set<string>();

/** One line per folder and process: the cache is an optimisation, so its absence is a warning, not an error. */
function warnOnce(dir: string, problem: string): void {
  if (warned.has(dir)) return;
  warned.add(dir);
  process.emitWarning(`wasmpool: not using the compile cache ${dir}: ${problem}; compiling without a cache`, { code: 'WASMPOOL_CACHE_UNSAFE' });
}

function writeAtomically(dir: string, name: string, data: string | Uint8Array): void {
  replaceFile(join(dir, name), join(dir, TEMP_PREFIX), data, 0o600);
}

function parseManifest(bytes: Buffer, key: string): Manifest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  const m = value as Partial<Manifest>;
  const strings = (list: unknown): boolean => Array.isArray(list) && list.every((item) => typeof item === 'string');
  const ok =
    m.version === MANIFEST_VERSION &&
    m.key === key &&
    Array.isArray(m.files) &&
    m.files.every((file) => typeof file?.path === 'string' && typeof file.sha256 === 'string') &&
    strings(m.absent) &&
    typeof m.wasm?.name === 'string' &&
    /^[0-9a-f]{16}-[0-9a-f]{32}\.wasm$/.test(m.wasm.name) &&
    typeof m.wasm.sha256 === 'string';
  return ok ? (m as Manifest) : undefined;
}

export class CompileCache {
  private constructor(readonly dir: string) {}

  /** The cache in `dir`, or undefined (after a one-line warning) when `dir` is not safe to use. */
  static open(dir: string): CompileCache | undefined {
    const problem = cacheDirProblem(dir);
    if (problem) {
      warnOnce(dir, problem);
      return undefined;
    }
    return new CompileCache(dir);
  }

  static key(entry: string, compilerVersion: string, flags: readonly string[]): string {
    return sha256(JSON.stringify([MANIFEST_VERSION, entry, compilerVersion, flags]));
  }

  #manifestName(key: string): string {
    return `${key}.json`;
  }

  #read(name: string): Buffer | undefined {
    return readRegularFile(join(this.dir, name), { noFollow: true, owner: ownUid() });
  }

  /** The cached binary and the files it was built from, if every input is as it was and the binary is the one recorded. */
  lookup(key: string): { wasm: Uint8Array; files: string[] } | undefined {
    const bytes = this.#read(this.#manifestName(key));
    const manifest = bytes && parseManifest(bytes, key);
    if (!manifest) return undefined;
    for (const file of manifest.files) {
      const text = readRegularFile(file.path);
      if (!text || sha256(text.toString('utf8')) !== file.sha256) return undefined;
    }
    // A file that now exists where asc found none would change what an import resolves to.
    if (manifest.absent.some((path) => fileProblem(path) === undefined)) return undefined;
    const wasm = this.#read(manifest.wasm.name);
    if (!wasm || sha256(wasm) !== manifest.wasm.sha256) return undefined;
    try {
      // Recency for pruning: the least recently used entries go first.
      const now = new Date();
      utimesSync(join(this.dir, this.#manifestName(key)), now, now);
    } catch {
      // a read-only cache still serves hits
    }
    return { wasm, files: manifest.files.map((file) => file.path) };
  }

  /** Best effort: a cache that cannot be written costs a recompile next time, not a failure now. */
  store(key: string, inputs: CompileInputs, wasm: Uint8Array): void {
    const wasmSha = sha256(wasm);
    const manifest: Manifest = {
      version: MANIFEST_VERSION,
      key,
      files: inputs.files.map((file) => ({ path: file.path, sha256: sha256(file.text) })).sort((a, b) => a.path.localeCompare(b.path)),
      absent: [...new Set(inputs.absent)].sort(),
      wasm: { name: `${key.slice(0, 16)}-${wasmSha.slice(0, 32)}.wasm`, sha256: wasmSha },
    };
    try {
      writeAtomically(this.dir, manifest.wasm.name, wasm);
      writeAtomically(this.dir, this.#manifestName(key), JSON.stringify(manifest));
      this.#prune(key, manifest.wasm.name);
    } catch {
      // read-only or full disk: compile again next time
    }
  }

  /**
   * Keeps the folder bounded: earlier binaries of this entry (the manifest names only the new one),
   * temporary files of processes that died mid-write, and the least recently used entries beyond
   * MAX_CACHE_ENTRIES.
   */
  #prune(key: string, keep: string): void {
    const prefix = `${key.slice(0, 16)}-`;
    const manifests: Array<{ name: string; used: number }> = [];
    const now = Date.now();
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      if (name.startsWith(prefix) && name.endsWith('.wasm') && name !== keep) rmSync(path, { force: true });
      else if (name.startsWith(TEMP_PREFIX)) {
        if (now - (lstatSync(path, { throwIfNoEntry: false })?.mtimeMs ?? now) > STALE_TEMP_MS) rmSync(path, { force: true });
      } else if (/^[0-9a-f]{64}\.json$/.test(name)) {
        const stats = lstatSync(path, { throwIfNoEntry: false });
        if (stats) manifests.push({ name, used: stats.mtimeMs });
      }
    }
    if (manifests.length <= MAX_CACHE_ENTRIES) return;
    manifests.sort((a, b) => a.used - b.used);
    for (const { name } of manifests.slice(0, manifests.length - MAX_CACHE_ENTRIES)) {
      const oldPrefix = name.slice(0, 16) + '-';
      rmSync(join(this.dir, name), { force: true });
      for (const other of readdirSync(this.dir)) if (other.startsWith(oldPrefix) && other.endsWith('.wasm')) rmSync(join(this.dir, other), { force: true });
    }
  }
}
