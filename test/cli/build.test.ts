// `wasmpool build`: the package's bin, run as a user would (node on the built file), on sources in a
// fresh temp directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const BIN = join(ROOT, manifest.bin.wasmpool);

const dir = mkdtempSync(join(tmpdir(), 'wasmpool-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'kernel.ts'), 'export function add(a: f64, b: f64): f64 { return a + b; }\nexport function fill(x: usize, n: i32): void {}\n');
writeFileSync(join(dir, 'broken.ts'), 'export function f(): i32 {\n  return missing;\n}\n');

function wasmpool(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('wasmpool build', () => {
  it('is the package bin and starts with a node shebang', () => {
    expect(manifest.bin.wasmpool).toBe('./dist/cli/main.js');
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('writes FILE.wasm beside the source and prints each kernel’s signature and the memory', () => {
    const run = wasmpool('build', 'kernel.ts');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`built ${join(dir, 'kernel.wasm')}`);
    expect(run.stdout).toContain('  add(a: f64, b: f64): f64\n');
    expect(run.stdout).toContain('  fill(x: TypedArray): void\n');
    expect(run.stdout).toContain('  memory: shared, imported as env.memory, 1 to 65536 pages');
    expect(existsSync(join(dir, 'kernel.wasm'))).toBe(true);
  });

  it('-o names the output, and the module it writes runs on a pool', async () => {
    const run = wasmpool('build', 'kernel.ts', '-o', 'out/../custom.wasm');
    expect(run.status).toBe(0);
    const pool = new Pool({ workers: 1, module: join(dir, 'custom.wasm') });
    try {
      expect(await pool.apply('add', [1.5, 2])).toBe(3.5);
    } finally {
      await pool.terminate();
    }
  });

  it('--help prints the usage and exits 0', () => {
    for (const args of [['--help'], ['build', '--help'], ['build', '-h']]) {
      const run = wasmpool(...args);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^Usage: wasmpool build FILE\.ts \[-o OUT\.wasm\]/);
    }
  });

  it('bad usage exits 2 with a message saying what was wrong and where the help is', () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Expected a command; the only command is `build`/],
      [['compile', 'kernel.ts'], /Unknown command `compile`; the only command is `build`/],
      [['build'], /Expected one AssemblyScript file to build, got none/],
      [['build', 'a.ts', 'b.ts'], /Expected one AssemblyScript file to build, got a\.ts b\.ts/],
      [['build', 'kernel.wasm'], /Expected FILE to be an AssemblyScript \.ts file, got kernel\.wasm/],
      [['build', 'kernel.ts', '--optimize'], /Unknown option `--optimize`; `build` takes -o\/--out FILE, --types \[OUT.d.ts\], --debug and -h\/--help/],
      [['build', 'kernel.ts', '-o', 'kernel.js'], /Expected `--out` to be a \.wasm path, got kernel\.js/],
      [['build', 'kernel.ts', '-o'], /argument missing/],
    ];
    for (const [args, message] of cases) {
      const run = wasmpool(...args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain('Run `wasmpool build --help` for usage.');
    }
  });

  it('a source that does not compile exits 1 with asc’s diagnostics at file:line:column', () => {
    const run = wasmpool('build', 'broken.ts');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${join(dir, 'broken.ts')}:2:10: error TS2304: Cannot find name 'missing'.`);
    expect(existsSync(join(dir, 'broken.wasm'))).toBe(false);
  });

  it('a missing source file says so', () => {
    const run = wasmpool('build', 'nope.ts');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`Expected an AssemblyScript file to compile, but ${join(dir, 'nope.ts')} does not exist`);
  });
});
