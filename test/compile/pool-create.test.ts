// Pool.create (issue 17, item 4): a `.ts` module compiled without blocking the thread, and the
// constructor that follows finds it compiled, with or without a usable disk cache.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';
import { compileCounters } from '../../dist/compile/compile.js';
import { rejection } from '../helpers.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function project(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmpool-create-'));
  made.push(dir);
  writeFileSync(join(dir, 'k.ts'), source);
  return join(dir, 'k.ts');
}

let pool: Pool | undefined;
let savedXdg: string | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
  if (savedXdg === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedXdg;
});

describe('Pool.create', () => {
  it('compiles a .ts module while the event loop keeps running, then the pool runs it', async () => {
    const entry = project('export function triple(x: i32): i32 { return x * 3; }\n');
    let ticked = false;
    setTimeout(() => (ticked = true), 0);
    const before = compileCounters.compiles;
    pool = await Pool.create({ workers: 1, module: entry });
    // A timer due at once ran while the compile was under way: nothing blocked the thread.
    expect(ticked).toBe(true);
    expect(compileCounters.compiles).toBe(before + 1);
    expect(await pool.apply('triple', [14])).toBe(42);
  });

  it('the constructor does not compile again even where the disk cache cannot be used', async () => {
    savedXdg = process.env.XDG_CACHE_HOME;
    const xdg = mkdtempSync(join(tmpdir(), 'wasmpool-create-xdg-'));
    made.push(xdg);
    process.env.XDG_CACHE_HOME = xdg;
    // A cache folder others may write to is not used (a warning), so only the precompiled result can serve.
    mkdirSync(join(xdg, 'wasmpool'), { mode: 0o700 });
    chmodSync(join(xdg, 'wasmpool'), 0o777);
    const entry = project('export function triple(x: i32): i32 { return x * 3; }\n');
    const before = compileCounters.compiles;
    pool = await Pool.create({ workers: 1, module: entry });
    expect(compileCounters.compiles).toBe(before + 1);
    expect(await pool.apply('triple', [2])).toBe(6);
  });

  it('rejects with what the constructor would throw: a compile error, a bad option', async () => {
    const broken = project('export function f(): i32 {\n  return nope;\n}\n');
    const error = await rejection(Pool.create({ workers: 1, module: broken }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain(`${broken}:2:10: error TS2304: Cannot find name 'nope'.`);
    const option = await rejection(Pool.create({ workers: -1 }));
    expect(option.message).toMatch(/^Expected `workers` to be a positive integer.*, got -1$/);
  });

  it('takes every other module as new Pool does', async () => {
    pool = await Pool.create({ workers: 1 });
    expect(await pool.apply('add', [1, 2])).toBe(3);
  });
});
