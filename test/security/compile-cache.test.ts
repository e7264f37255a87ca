// The compile cache against a second local user (issue 21, findings 1–5): nothing another user can
// write decides what a victim's kernel computes. As root (CI and this machine), the other user is
// real: a process run as an unused uid plants the files, and files are chowned to it. Where the
// tests are not root, the same attacks run with a folder others may write to, which is refused the
// same way.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';
import { CompileCache, defaultCacheDir, MAX_CACHE_ENTRIES } from '../../dist/compile/cache.js';
import { compileAssemblyScript } from '../../dist/compile/compile.js';
import { POOL_FLAGS } from '../../dist/compile/flags.js';

const ROOT = process.getuid?.() === 0;
/** No passwd entry needed: root may chown to, and run a process as, any uid. */
const OTHER_UID = 54_321;
const ASC_VERSION = (createRequire(import.meta.url)('assemblyscript/package.json') as { version: string }).version;

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(prefix = 'wasmpool-sec-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

const DOUBLE = 'export function double(x: i32): i32 { return x * 2; }\n';
const EVIL = 'export function double(x: i32): i32 { return 666; }\n';

function project(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A binary computing 666, compiled once. */
let evilWasm: Uint8Array | undefined;
function evil(): Uint8Array {
  evilWasm ??= compileAssemblyScript(join(project({ 'evil.ts': EVIL }), 'evil.ts'), { cacheDir: false }).wasm;
  return evilWasm;
}

/** Everything an attacker can compute from the victim's source path: a manifest that is valid in every field. */
function plantedFiles(entry: string, wasm: Uint8Array): Record<string, string | Uint8Array> {
  const key = CompileCache.key(entry, ASC_VERSION, POOL_FLAGS);
  const name = `${key.slice(0, 16)}-${sha256(wasm).slice(0, 32)}.wasm`;
  const manifest = { version: 3, key, files: [{ path: entry, sha256: sha256(readFileSync(entry, 'utf8')) }], absent: [], wasm: { name, sha256: sha256(wasm) } };
  return { [`${key}.json`]: JSON.stringify(manifest), [name]: wasm };
}

/** Writes files into `dir` as the other uid (root), creating `dir` as theirs, 0777. */
function plantAsOtherUser(dir: string, files: Record<string, string | Uint8Array>): void {
  const payload = Object.fromEntries(Object.entries(files).map(([name, data]) => [name, Buffer.from(data).toString('base64')]));
  const script = `const fs = require('fs'), path = require('path');
    const [dir, files] = JSON.parse(process.argv[1]);
    fs.mkdirSync(dir, { recursive: true, mode: 0o777 }); fs.chmodSync(dir, 0o777);
    for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), Buffer.from(data, 'base64'));
    console.log(process.getuid());`;
  const run = spawnSync(process.execPath, ['-e', script, JSON.stringify([dir, payload])], { uid: OTHER_UID, gid: OTHER_UID, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.stdout.trim()).toBe(String(OTHER_UID));
}

/** The folder others may write to, as the attacker leaves it; planted by the other uid where we can. */
function plantCacheFolder(dir: string, files: Record<string, string | Uint8Array>): void {
  if (ROOT) {
    chmodSync(join(dir, '..'), 0o777); // a shared parent, as /tmp would be
    return plantAsOtherUser(dir, files);
  }
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
}

async function run(entry: string, x: number): Promise<unknown> {
  const pool = new Pool({ workers: 1, module: entry });
  try {
    return await pool.apply('double', [x]);
  } finally {
    await pool.terminate();
  }
}

let warnings: string[] = [];
const onWarning = (warning: Error): void => void warnings.push(warning.message);
let savedXdg: string | undefined;
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
  savedXdg = process.env.XDG_CACHE_HOME;
});
afterEach(() => {
  process.off('warning', onWarning);
  if (savedXdg === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedXdg;
});

describe('where the cache lives', () => {
  it('is $XDG_CACHE_HOME/wasmpool, else ~/.cache/wasmpool, when no project above the kernel has node_modules; never the temp dir', () => {
    const dir = project({ 'k.ts': DOUBLE });
    const entry = join(dir, 'k.ts');
    expect(defaultCacheDir(entry, { XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/wasmpool');
    expect(defaultCacheDir(entry, { XDG_CACHE_HOME: 'relative' })).toMatch(/[\\/]\.cache[\\/]wasmpool$/);
    expect(defaultCacheDir(entry, {})).not.toContain(join(tmpdir(), 'wasmpool-cache'));
  });

  it('is node_modules/.cache/wasmpool of the package above the kernel file, not of the current directory', () => {
    const dir = project({ 'app/package.json': '{}', 'app/src/k.ts': DOUBLE });
    mkdirSync(join(dir, 'app', 'node_modules'));
    expect(defaultCacheDir(join(dir, 'app', 'src', 'k.ts'), {})).toBe(join(dir, 'app', 'node_modules', '.cache', 'wasmpool'));
    // Without node_modules the project is not one that installs packages: the per-user folder.
    rmSync(join(dir, 'app', 'node_modules'), { recursive: true });
    expect(defaultCacheDir(join(dir, 'app', 'src', 'k.ts'), { XDG_CACHE_HOME: '/x' })).toBe('/x/wasmpool');
  });

  it('is created 0700 and then used', () => {
    const xdg = join(tempDir(), 'fresh', 'cache');
    process.env.XDG_CACHE_HOME = xdg;
    const entry = join(project({ 'k.ts': DOUBLE }), 'k.ts');
    expect(compileAssemblyScript(entry).cached).toBe(false);
    expect(lstatSync(join(xdg, 'wasmpool')).mode & 0o777).toBe(0o700);
    expect(compileAssemblyScript(entry).cached).toBe(true);
    expect(warnings).toEqual([]);
  });

  it(ROOT ? 'cannot be written by a second uid' : 'has no write bits for group or others', () => {
    const xdg = tempDir();
    chmodSync(xdg, 0o777);
    process.env.XDG_CACHE_HOME = xdg;
    compileAssemblyScript(join(project({ 'k.ts': DOUBLE }), 'k.ts'));
    expect(lstatSync(join(xdg, 'wasmpool')).mode & 0o077).toBe(0);
    if (!ROOT) return;
    const script = `try { require('fs').writeFileSync(${JSON.stringify(join(xdg, 'wasmpool', 'x'))}, 'x'); console.log('wrote') } catch (e) { console.log(e.code) }`;
    const attempt = spawnSync(process.execPath, ['-e', script], { uid: OTHER_UID, gid: OTHER_UID, encoding: 'utf8' });
    expect(attempt.stdout.trim()).toBe('EACCES');
  });
});

describe('a pre-planted binary (finding 1)', () => {
  it('the plant is a valid entry: planted in the victim’s own folder it would be used, so only the checks below stop it', async () => {
    const xdg = tempDir();
    process.env.XDG_CACHE_HOME = xdg;
    const entry = join(project({ 'k.ts': DOUBLE }), 'k.ts');
    mkdirSync(join(xdg, 'wasmpool'), { mode: 0o700 });
    for (const [name, data] of Object.entries(plantedFiles(entry, evil()))) writeFileSync(join(xdg, 'wasmpool', name), data);
    expect(compileAssemblyScript(entry).cached).toBe(true);
    expect(await run(entry, 21)).toBe(666);
  });

  it('a cache folder planted by another user (or writable by others) is not used: one warning, and the victim computes 42', async () => {
    const xdg = tempDir();
    process.env.XDG_CACHE_HOME = xdg;
    const entry = join(project({ 'k.ts': DOUBLE }), 'k.ts');
    plantCacheFolder(join(xdg, 'wasmpool'), plantedFiles(entry, evil()));
    expect(await run(entry, 21)).toBe(42);
    expect(await run(entry, 21)).toBe(42);
    expect(warnings).toHaveLength(1);
    const why = ROOT ? `it is owned by uid ${OTHER_UID}, not by this process's uid 0` : 'others may write to it (mode 777)';
    expect(warnings[0]).toBe(`wasmpool: not using the compile cache ${join(xdg, 'wasmpool')}: ${why}; compiling without a cache`);
  });

  it('`wasmpool build`’s compile does not take the planted binary either', async () => {
    const xdg = tempDir();
    const entry = join(project({ 'k.ts': DOUBLE }), 'k.ts');
    plantCacheFolder(join(xdg, 'wasmpool'), plantedFiles(entry, evil()));
    const result = compileAssemblyScript(entry, { cacheDir: join(xdg, 'wasmpool') });
    expect(result.cached).toBe(false);
    expect(Buffer.from(result.wasm).equals(Buffer.from(evil()))).toBe(false);
    await new Promise(setImmediate); // process.emitWarning emits on the next tick
    expect(warnings).toHaveLength(1);
  });

  it('a symbolic link as the cache folder is not followed', async () => {
    const real = tempDir();
    const dir = tempDir();
    symlinkSync(real, join(dir, 'wasmpool'));
    const entry = join(project({ 'k.ts': DOUBLE }), 'k.ts');
    expect(compileAssemblyScript(entry, { cacheDir: join(dir, 'wasmpool') }).cached).toBe(false);
    expect(readdirSync(real)).toEqual([]);
    await new Promise(setImmediate); // process.emitWarning emits on the next tick
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/: it is a symbolic link \(a cache folder must be a real folder\); compiling without a cache$/);
  });

  it(ROOT ? 'files in the victim’s own folder that a second uid owns are not read' : 'files in the cache that are symbolic links are not read', () => {
    const cacheDir = join(tempDir(), 'cache');
    mkdirSync(cacheDir, { mode: 0o700 });
    const elsewhere = tempDir();
    const entry = join(project({ 'k.ts': DOUBLE }), 'k.ts');
    for (const [name, data] of Object.entries(plantedFiles(entry, evil()))) {
      if (ROOT) {
        writeFileSync(join(cacheDir, name), data);
        chownSync(join(cacheDir, name), OTHER_UID, OTHER_UID);
      } else {
        writeFileSync(join(elsewhere, name), data);
        symlinkSync(join(elsewhere, name), join(cacheDir, name));
      }
    }
    expect(compileAssemblyScript(entry, { cacheDir }).cached).toBe(false);
  });
});

describe('a swapped binary (finding 2)', () => {
  it('every cached .wasm overwritten after the victim’s compile: the SHA-256 in the manifest catches it, and the kernel computes 42', async () => {
    const xdg = tempDir();
    process.env.XDG_CACHE_HOME = xdg;
    const entry = join(project({ 'k.ts': DOUBLE }), 'k.ts');
    const honest = compileAssemblyScript(entry);
    const folder = join(xdg, 'wasmpool');
    for (const name of readdirSync(folder).filter((file) => file.endsWith('.wasm'))) writeFileSync(join(folder, name), evil());
    expect(await run(entry, 21)).toBe(42);
    // The recompile mended the entry: the next run is a hit, with the honest bytes.
    const again = compileAssemblyScript(entry);
    expect(again.cached).toBe(true);
    expect(Buffer.from(again.wasm).equals(Buffer.from(honest.wasm))).toBe(true);
  });
});

describe('file clobbering through the cache’s writes (finding 3)', () => {
  it('symlinks at the old predictable temp names, and at the manifest’s own name, are never written through', () => {
    const cacheDir = join(tempDir(), 'cache');
    mkdirSync(cacheDir, { mode: 0o700 });
    const victimFile = join(tempDir(), 'precious.txt');
    writeFileSync(victimFile, 'precious');
    const entry = join(project({ 'k.ts': DOUBLE }), 'k.ts');
    const key = CompileCache.key(entry, ASC_VERSION, POOL_FLAGS);
    for (const name of [`${key}.json.${process.pid}.tmp`, `${key}.json`]) symlinkSync(victimFile, join(cacheDir, name));
    expect(compileAssemblyScript(entry, { cacheDir }).cached).toBe(false);
    expect(readFileSync(victimFile, 'utf8')).toBe('precious');
    // The link at the manifest's name was replaced by the manifest (rename does not follow links).
    expect(lstatSync(join(cacheDir, `${key}.json`)).isFile()).toBe(true);
    expect(compileAssemblyScript(entry, { cacheDir }).cached).toBe(true);
  });
});

describe('FIFOs never block (finding 4)', () => {
  const mkfifo = (path: string): void => void execFileSync('mkfifo', [path]);

  it('a manifest naming a FIFO as a source file, and a FIFO in place of the binary, are misses at once', () => {
    const cacheDir = join(tempDir(), 'cache');
    const entry = join(project({ 'k.ts': DOUBLE }), 'k.ts');
    compileAssemblyScript(entry, { cacheDir });
    const manifestName = readdirSync(cacheDir).find((file) => file.endsWith('.json'))!;
    const manifest = JSON.parse(readFileSync(join(cacheDir, manifestName), 'utf8')) as { files: Array<{ path: string }> };
    const fifo = join(tempDir(), 'pipe.ts');
    mkfifo(fifo);
    writeFileSync(join(cacheDir, manifestName), JSON.stringify({ ...manifest, files: [...manifest.files, { path: fifo, sha256: '0'.repeat(64) }] }));
    expect(compileAssemblyScript(entry, { cacheDir }).cached).toBe(false);
    const binary = readdirSync(cacheDir).find((file) => file.endsWith('.wasm'))!;
    rmSync(join(cacheDir, binary));
    mkfifo(join(cacheDir, binary));
    expect(compileAssemblyScript(entry, { cacheDir }).cached).toBe(false);
  });

  it('a kernel importing a FIFO fails to compile instead of hanging; a FIFO as `module` is named as one', () => {
    const dir = project({ 'k.ts': 'import { x } from "./pipe";\nexport function f(): i32 { return x; }\n' });
    mkfifo(join(dir, 'pipe.ts'));
    expect(() => compileAssemblyScript(join(dir, 'k.ts'), { cacheDir: false })).toThrow(/Could not compile the AssemblyScript module/);
    mkfifo(join(dir, 'm.wasm'));
    expect(() => new Pool({ module: join(dir, 'm.wasm') })).toThrow(
      `Expected \`module\` to name an existing file, but ${join(dir, 'm.wasm')} is a named pipe (FIFO), not a regular file`,
    );
  });
});

describe('a stale binary from a failed import look-up (finding 5)', () => {
  it('adding lib.ts beside lib/index.ts changes what "./lib" resolves to, and the next build uses it', async () => {
    const xdg = tempDir();
    process.env.XDG_CACHE_HOME = xdg;
    const dir = project({
      'k.ts': 'import { factor } from "./lib";\nexport function double(x: i32): i32 { return x * factor(); }\n',
      'lib/index.ts': 'export function factor(): i32 { return 2; }\n',
    });
    const entry = join(dir, 'k.ts');
    expect(await run(entry, 21)).toBe(42);
    writeFileSync(join(dir, 'lib.ts'), 'export function factor(): i32 { return 3; }\n');
    expect(await run(entry, 21)).toBe(63);
  });
});

describe('a bounded cache', () => {
  it(`keeps at most ${MAX_CACHE_ENTRIES} entries, removing the least recently used with their binaries`, () => {
    const cacheDir = join(tempDir(), 'cache');
    mkdirSync(cacheDir, { mode: 0o700 });
    const entry = join(project({ 'k.ts': DOUBLE }), 'k.ts');
    compileAssemblyScript(entry, { cacheDir });
    const [kept] = readdirSync(cacheDir).filter((file) => file.endsWith('.json'));
    const filler = plantedFiles(entry, evil());
    const [, binary] = Object.values(filler);
    // Entries of other (made-up) keys; the real one is compiled again last, so it is the most recent.
    for (let i = 0; i < MAX_CACHE_ENTRIES + 5; i++) {
      const key = sha256(`other ${i}`);
      writeFileSync(join(cacheDir, `${key}.json`), '{}');
      writeFileSync(join(cacheDir, `${key.slice(0, 16)}-${'0'.repeat(32)}.wasm`), binary);
    }
    writeFileSync(entry, 'export function double(x: i32): i32 { return x + x; }\n');
    compileAssemblyScript(entry, { cacheDir });
    const files = readdirSync(cacheDir);
    expect(files.filter((file) => file.endsWith('.json'))).toHaveLength(MAX_CACHE_ENTRIES);
    expect(files.filter((file) => file.endsWith('.wasm'))).toHaveLength(MAX_CACHE_ENTRIES);
    expect(files).toContain(kept);
  });
});
