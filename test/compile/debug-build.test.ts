// Debuggable kernels (issue 17, item 3): `debug: true` / `wasmpool build --debug` keep names and a
// source map, so a trap names the AssemblyScript function and file:line:column relative to the
// project; aborts name project-relative paths in every build; asconfig.json is honoured below the
// flags a pool needs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Pool, TaskError } from 'wasmpool';
import { compileAssemblyScript } from '../../dist/compile/compile.js';
import { inspectWasm } from '../../dist/wasm/inspect.js';
import { rejection, thrown } from '../helpers.js';

const root = mkdtempSync(join(tmpdir(), 'wasmpool-debug-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(join(root, 'package.json'), '{"name":"kernels-project"}');
mkdirSync(join(root, 'assembly'));
const SOURCE = `export function boom(x: i32): i32 {
  let a = x + 1;
  if (a > 3) unreachable();
  return a;
}
export function check(x: i32): i32 {
  assert(x > 0, "x must be positive");
  return x;
}
`;
writeFileSync(join(root, 'assembly', 'kernel.ts'), SOURCE);
const ENTRY = join(root, 'assembly', 'kernel.ts');
const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('debug builds', () => {
  it('a trap names the AssemblyScript function and file:line:column relative to the project', async () => {
    pool = new Pool({ workers: 1, module: ENTRY, debug: true });
    expect(await pool.apply('boom', [1])).toBe(2);
    const error = await rejection(pool.apply('boom', [5]));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toBe('Kernel `boom` trapped: unreachable in boom at assembly/kernel.ts:3:14');
  });

  it('an optimized build says only what trapped; aborts name the project-relative file in both', async () => {
    pool = new Pool({ workers: 1, module: ENTRY });
    const error = await rejection(pool.apply('boom', [5]));
    expect(error.message).toBe('Kernel `boom` trapped: unreachable');
    const abort = await rejection(pool.apply('check', [0]));
    expect(abort.message).toMatch(/x must be positive at assembly\/kernel\.ts:7:3/);
  });

  it('`wasmpool build --debug` writes the debug build, and a pool on that .wasm locates traps the same way', async () => {
    const run = spawnSync(process.execPath, [BIN, 'build', 'assembly/kernel.ts', '--debug', '-o', 'debug.wasm'], { cwd: root, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    pool = new Pool({ workers: 1, module: join(root, 'debug.wasm') });
    expect((await rejection(pool.apply('boom', [9]))).message).toBe('Kernel `boom` trapped: unreachable in boom at assembly/kernel.ts:3:14');
  });

  it('debug is checked', () => {
    expect(thrown(() => new Pool({ module: ENTRY, debug: 'yes' as unknown as boolean })).message).toBe('Expected `debug` to be a boolean, got "yes"');
  });
});

describe('asconfig.json', () => {
  it('is honoured below the pool’s own flags, and is part of the cache key', () => {
    const dir = mkdtempSync(join(root, 'cfg-'));
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(join(dir, 'k.ts'), 'export function f(x: i32): i32 { assert(x > 0); return x; }\n');
    const cacheDir = join(dir, 'cache');
    const plain = compileAssemblyScript(join(dir, 'k.ts'), { cacheDir });
    // noAssert drops the assert (a smaller binary); importMemory: false cannot undo the pool's shared memory.
    writeFileSync(join(dir, 'asconfig.json'), '{"options":{"noAssert":true,"importMemory":false,"sharedMemory":false}}');
    const configured = compileAssemblyScript(join(dir, 'k.ts'), { cacheDir });
    expect(configured.cached).toBe(false);
    expect(configured.wasm.length).toBeLessThan(plain.wasm.length);
    expect(inspectWasm(configured.wasm).memoryImport?.shared).toBe(true);
    expect(compileAssemblyScript(join(dir, 'k.ts'), { cacheDir }).cached).toBe(true);
  });
});
