// Careless paths (issue 21, finding 10): `wasmpool build` never writes over what it read, and a
// `module` or `--out` that names the wrong kind of thing gets an error saying what it is.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';
import { thrown } from '../helpers.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wasmpool-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SOURCE = 'import { two } from "./helper";\nexport function double(x: i32): i32 { return x * two(); }\n';
const HELPER = 'export function two(): i32 { return 2; }\n';
writeFileSync(join(dir, 'k.ts'), SOURCE);
writeFileSync(join(dir, 'helper.ts'), HELPER);

function wasmpool(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('wasmpool build never writes over its input', () => {
  it('refuses `-o` through a symlink to the source, and to a file the source imports; both stay as they were', () => {
    symlinkSync(join(dir, 'k.ts'), join(dir, 'to-source.wasm'));
    symlinkSync(join(dir, 'helper.ts'), join(dir, 'to-helper.wasm'));
    const direct = wasmpool('build', 'k.ts', '-o', 'to-source.wasm');
    expect(direct.status).toBe(2);
    expect(direct.stderr).toContain(
      `wasmpool: Refusing to write the module over its own source: \`--out\` ${join(dir, 'to-source.wasm')} is ${join(dir, 'k.ts')} (it is a symbolic link to ${join(dir, 'k.ts')}); choose another output path`,
    );
    const imported = wasmpool('build', 'k.ts', '-o', 'to-helper.wasm');
    expect(imported.status).toBe(2);
    expect(imported.stderr).toContain(`is ${join(dir, 'helper.ts')} (it is a symbolic link to ${join(dir, 'helper.ts')})`);
    expect(readFileSync(join(dir, 'k.ts'), 'utf8')).toBe(SOURCE);
    expect(readFileSync(join(dir, 'helper.ts'), 'utf8')).toBe(HELPER);
  });

  it('the default output beside the source, when it is a symlink to the source, is refused too', () => {
    mkdirSync(join(dir, 'linked'));
    writeFileSync(join(dir, 'linked', 'k.ts'), SOURCE);
    writeFileSync(join(dir, 'linked', 'helper.ts'), HELPER);
    symlinkSync('k.ts', join(dir, 'linked', 'k.wasm'));
    const run = wasmpool('build', 'linked/k.ts');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Refusing to write the module over its own source: the output (FILE.wasm beside FILE.ts)');
    expect(readFileSync(join(dir, 'linked', 'k.ts'), 'utf8')).toBe(SOURCE);
  });

  it('replaces a symlink to some other file instead of writing through it', () => {
    const other = join(dir, 'other.txt');
    writeFileSync(other, 'keep me');
    symlinkSync(other, join(dir, 'elsewhere.wasm'));
    expect(wasmpool('build', 'k.ts', '-o', 'elsewhere.wasm').status).toBe(0);
    expect(readFileSync(other, 'utf8')).toBe('keep me');
    expect(readFileSync(join(dir, 'elsewhere.wasm')).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  });

  it('`-o` in a folder that does not exist, or naming a folder, says so (exit 2) before compiling', () => {
    const missing = wasmpool('build', 'k.ts', '-o', 'missing/dir/x.wasm');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`Expected \`--out\` to be in an existing folder, but ${join(dir, 'missing', 'dir')} does not exist; create it first`);
    mkdirSync(join(dir, 'folder.wasm'));
    const folder = wasmpool('build', 'k.ts', '-o', 'folder.wasm');
    expect(folder.status).toBe(2);
    expect(folder.stderr).toContain(`Expected \`--out\` to name a file to write, but ${join(dir, 'folder.wasm')} is a directory`);
  });
});

describe('`module` naming something that is not a file', () => {
  it('a directory named x.wasm, /dev/zero and the empty string each get an accurate error', () => {
    mkdirSync(join(dir, 'x.wasm'));
    expect(thrown(() => new Pool({ module: join(dir, 'x.wasm') })).message).toBe(
      `Expected \`module\` to name an existing file, but ${join(dir, 'x.wasm')} is a directory, not a regular file`,
    );
    expect(thrown(() => new Pool({ module: '/dev/zero' })).message).toBe(
      'Expected `module` to name an existing file, but /dev/zero is a character device, not a regular file',
    );
    const empty = thrown(() => new Pool({ module: '' }));
    expect(empty).toBeInstanceOf(TypeError);
    expect(empty.message).toBe('Expected `module` to be a path or URL, got an empty string');
  });

  it('a dangling symlink and a path through a file are told apart from a plain missing file', () => {
    symlinkSync(join(dir, 'gone.wasm'), join(dir, 'dangling.wasm'));
    expect(thrown(() => new Pool({ module: join(dir, 'dangling.wasm') })).message).toMatch(/dangling\.wasm is a symbolic link to a file that does not exist$/);
    expect(thrown(() => new Pool({ module: join(dir, 'k.ts', 'x.wasm') })).message).toMatch(/x\.wasm does not exist \(a folder on its path is a file\)$/);
    expect(thrown(() => new Pool({ module: join(dir, 'nothing.wasm') })).message).toMatch(/nothing\.wasm does not exist$/);
  });
});
