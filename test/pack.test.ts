import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'wasmpool-pack-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// What a user gets from npm: pack the package, install the tarball into an empty project, run a task.
describe('the published package', () => {
  it('installs from its tarball into an empty project and runs tasks, with types and kernels inside', async () => {
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: root, timeout: 60_000 });
    const [{ filename, files }] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const paths = files.map((f) => f.path);
    expect(paths).toContain('build/kernels.wasm');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('dist/worker/node-entry.js');
    expect(paths).toContain('dist/cli/main.js');
    expect(paths.some((p) => p.startsWith('test/') || p.startsWith('build/fixtures/'))).toBe(false);

    const project = join(scratch, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    const install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(scratch, filename)], { cwd: project, timeout: 120_000 });
    // No install-time script: npm 11 warns everyone who installs a package with one (`prepare` included), so the
    // build runs at `prepack` and the repository's test scripts build what they need themselves.
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', 'wasmpool', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    expect(Object.keys(installed.scripts ?? {}).filter((name) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(name))).toEqual([]);
    expect(install.stderr).not.toMatch(/install-scripts|wasmpool@/);
    writeFileSync(
      join(project, 'main.mjs'),
      [
        "import { Pool, TaskError } from 'wasmpool';",
        'const pool = new Pool({ workers: 2 });',
        "const sync = pool.applyAsync('add', [20, 22]).getSync();",
        "const mapped = await pool.mapAsync('square', [1, 2, 3]);",
        'console.log(JSON.stringify({ sync, mapped, errorClass: typeof TaskError }));',
        'await pool.terminate();',
      ].join('\n'),
    );
    const { stdout: output } = await run(process.execPath, ['main.mjs'], { cwd: project, timeout: 30_000 });
    expect(JSON.parse(output)).toEqual({ sync: 42, mapped: [1, 4, 9], errorClass: 'function' });
    expect(readdirSync(join(project, 'node_modules', 'wasmpool', 'dist'))).toContain('index.d.ts');

    // The CLI is linked as a bin, and without the optional peer `assemblyscript` a .ts module says how to get it.
    const { stdout: usage } = await run(join(project, 'node_modules', '.bin', 'wasmpool'), ['--help'], { cwd: project, timeout: 30_000 });
    expect(usage).toMatch(/^Usage: wasmpool build FILE\.ts/);
    writeFileSync(join(project, 'kernel.ts'), 'export function one(): i32 { return 1; }\n');
    writeFileSync(
      join(project, 'compile.mjs'),
      "import { Pool } from 'wasmpool';\ntry { new Pool({ module: 'kernel.ts' }); } catch (e) { console.log(e.message); }\n",
    );
    const { stdout: missing } = await run(process.execPath, ['compile.mjs'], { cwd: project, timeout: 30_000 });
    expect(missing).toMatch(/needs the AssemblyScript compiler, which is not installed; run `npm install --save-dev assemblyscript`/);
  });
});
