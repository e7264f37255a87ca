// `new Pool({ module: 'kernel.ts' })`: AssemblyScript compiled at the constructor with the flags a
// shared-memory pool needs, cached by the content of every file asc read. Each test writes its
// sources into a fresh temp directory, so the first compile there is always a cache miss.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';
import { defaultCacheDir } from '../../dist/compile/cache.js';
import { compileAssemblyScript, compileCounters } from '../../dist/compile/compile.js';
import { compileSync } from '../../dist/compile/compile-sync.js';
import { inspectWasm } from '../../dist/wasm/inspect.js';
import { thrown } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmpool-compile-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const HELPER = 'export function twice(x: i32): i32 { return x * 2; }\n';
const KERNEL = `import { twice } from "./helper";
import { getF64, setF64 } from "wasmpool/assembly";
export function quad(x: i32): i32 { return twice(twice(x)); }
export function scale(x: usize, n: i32, by: f64): void { for (let i = 0; i < n; i++) setF64(x, i, getF64(x, i) * by); }
`;

describe('AssemblyScript source as `module`', () => {
  it('compiles a .ts path with shared memory, and its kernels run on the pool over shared arrays', async () => {
    const dir = project({ 'helper.ts': HELPER, 'kernel.ts': KERNEL });
    pool = new Pool({ workers: 2, module: join(dir, 'kernel.ts') });
    expect(pool.memory?.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(await pool.apply('quad', [5])).toBe(20);
    const x = pool.alloc(Float64Array, 3);
    x.set([1, 2, 3]);
    await pool.apply('scale', [x, 0.5]);
    expect([...x]).toEqual([0.5, 1, 1.5]);
    pool.free(x);
    // The signature came from the compiled binary, so bad arguments are caught before dispatch.
    expect(thrown(() => pool!.applyAsync('quad', [])).message).toBe('Kernel `quad` takes 1 argument (x: i32), got 0 in `args`');
  });

  it('a second Pool on the unchanged file (as a file: URL) does not compile again', async () => {
    const dir = project({ 'helper.ts': HELPER, 'kernel.ts': KERNEL });
    const before = { ...compileCounters };
    pool = new Pool({ workers: 1, module: join(dir, 'kernel.ts') });
    await pool.terminate();
    expect(compileCounters.compiles).toBe(before.compiles + 1);
    pool = new Pool({ workers: 1, module: pathToFileURL(join(dir, 'kernel.ts')) });
    expect(compileCounters.compiles).toBe(before.compiles + 1);
    expect(compileCounters.cacheHits).toBe(before.cacheHits + 1);
    expect(await pool.apply('quad', [1])).toBe(4);
  });

  it('recompiles when a file the kernel imports changes', async () => {
    const dir = project({ 'helper.ts': HELPER, 'kernel.ts': KERNEL });
    const entry = join(dir, 'kernel.ts');
    const first = compileAssemblyScript(entry);
    expect(first.cached).toBe(false);
    expect(compileAssemblyScript(entry).cached).toBe(true);
    writeFileSync(join(dir, 'helper.ts'), 'export function twice(x: i32): i32 { return x * 3; }\n');
    const edited = compileAssemblyScript(entry);
    expect(edited.cached).toBe(false);
    pool = new Pool({ workers: 1, module: entry });
    expect(await pool.apply('quad', [1])).toBe(9);
  });

  it('keys the cache by content, not modification time: a file rewritten unchanged still hits', () => {
    const dir = project({ 'helper.ts': HELPER, 'kernel.ts': KERNEL });
    const entry = join(dir, 'kernel.ts');
    compileAssemblyScript(entry);
    writeFileSync(join(dir, 'helper.ts'), HELPER);
    expect(compileAssemblyScript(entry).cached).toBe(true);
  });

  it('builds what the pool expects: imports a shared env.memory of 65536 pages maximum', () => {
    const dir = project({ 'helper.ts': HELPER, 'kernel.ts': KERNEL });
    const info = inspectWasm(compileAssemblyScript(join(dir, 'kernel.ts')).wasm);
    expect(info.memoryImport).toEqual({ module: 'env', name: 'memory', initial: 1, maximum: 65536, shared: true });
    expect(info.kernels.get('scale')).toEqual({ params: ['i32', 'i32', 'f64'], results: [] });
  });

  it('a file that does not compile throws at new Pool with asc’s diagnostics, led by file:line:column', () => {
    const dir = project({ 'broken.ts': 'export function f(x: i32): i32 {\n  return y + 1;\n}\n' });
    const error = thrown(() => new Pool({ workers: 1, module: join(dir, 'broken.ts') }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain(`Could not compile the AssemblyScript module ${join(dir, 'broken.ts')}`);
    expect(error.message).toContain(`${join(dir, 'broken.ts')}:2:10: error TS2304: Cannot find name 'y'.`);
    expect(error.message).toContain('return y + 1;'); // asc's own excerpt of the line
  });

  it('a missing compiler says how to install it', () => {
    const dir = project({ 'kernel.ts': 'export function one(): i32 { return 1; }\n' });
    const error = thrown(() => compileAssemblyScript(join(dir, 'kernel.ts'), { compilerPackage: 'assemblyscript-not-installed' }));
    expect(error.message).toMatch(/needs the AssemblyScript compiler, which is not installed; run `npm install --save-dev assemblyscript`/);
  });

  it('an asconfig.json beside the kernel cannot undo the flags the pool needs', async () => {
    const dir = project({
      'kernel.ts': 'export function one(): i32 { return 1; }\n',
      'asconfig.json': '{"options":{"importMemory":false,"sharedMemory":false}}',
    });
    const info = inspectWasm(compileAssemblyScript(join(dir, 'kernel.ts')).wasm);
    expect(info.memoryImport?.shared).toBe(true);
  });
});

describe('the compile cache directory', () => {
  it('is node_modules/.cache/wasmpool of the nearest package above the kernel file', () => {
    const dir = project({ 'package.json': '{}', 'kernel.ts': '' });
    mkdirSync(join(dir, 'node_modules'));
    expect(defaultCacheDir(join(dir, 'kernel.ts'))).toBe(join(dir, 'node_modules', '.cache', 'wasmpool'));
  });

  it('falls back to the per-user cache folder, never the temp dir, when node_modules cannot hold a cache', () => {
    const dir = project({ 'package.json': '{}', node_modules: 'a file, not a folder', 'kernel.ts': '' });
    expect(defaultCacheDir(join(dir, 'kernel.ts'), { XDG_CACHE_HOME: '/home/u/.cache' })).toBe('/home/u/.cache/wasmpool');
  });

  it('an explicit cache dir holds one manifest and one binary per entry, the latest', () => {
    const dir = project({ 'kernel.ts': 'export function one(): i32 { return 1; }\n' });
    const cacheDir = join(dir, 'cache');
    expect(compileAssemblyScript(join(dir, 'kernel.ts'), { cacheDir }).cached).toBe(false);
    expect(compileAssemblyScript(join(dir, 'kernel.ts'), { cacheDir }).cached).toBe(true);
    writeFileSync(join(dir, 'kernel.ts'), 'export function two(): i32 { return 2; }\n');
    expect(compileAssemblyScript(join(dir, 'kernel.ts'), { cacheDir }).cached).toBe(false);
    const extensions = readdirSync(cacheDir).map((file) => file.slice(file.lastIndexOf('.')));
    expect(extensions.sort()).toEqual(['.json', '.wasm']);
  });
});

describe('the compiler thread the constructor blocks on', () => {
  // Stand-ins for asc as data: URLs, so each failure is certain and needs no broken install.
  const request = (compilerUrl: string) => ({ compilerUrl, entry: join(tmpdir(), 'k.ts'), flags: [], packageRoot: tmpdir() });

  it('answers, instead of leaving the caller blocked, when asc calls process.exit', () => {
    expect(compileSync(request('data:text/javascript,process.exit(1)'))).toEqual({
      ok: false,
      message: 'the AssemblyScript compiler crashed (it exited without a result; what it printed is on stderr)',
    });
  });

  it('answers with the error when asc throws outside its promise (a timer) while the promise is still pending', () => {
    const dies = 'setTimeout(() => { throw new Error("late") }, 1); export function main() { return new Promise(() => {}); }';
    const answer = compileSync(request(`data:text/javascript,${encodeURIComponent(dies)}`));
    expect(!answer.ok && answer.message).toMatch(/^the AssemblyScript compiler threw: Error: late/);
  });

  it('says to reinstall when the compiler cannot be loaded', () => {
    const answer = compileSync(request('data:text/javascript,throw new Error("broken install")'));
    expect(answer).toEqual({
      ok: false,
      message: 'Could not load the AssemblyScript compiler (broken install); reinstall it: npm install --save-dev assemblyscript',
    });
  });

  it('passes on what asc threw', () => {
    const answer = compileSync(request('data:text/javascript,export async function main() { throw new Error("asc bug") }'));
    expect(answer.ok).toBe(false);
    expect(!answer.ok && answer.message).toMatch(/^the AssemblyScript compiler threw: Error: asc bug/);
  });
});
