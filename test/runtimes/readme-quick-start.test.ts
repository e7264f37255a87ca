// The README's quick start, copied out of README.md at test time and run as written, so the README cannot
// drift: the plain `.mjs` block under Node (20 here), Bun and Deno; the TypeScript `await using` block under
// Bun and Deno, which run TypeScript directly. Each `console.log(...); // text` line must print `text`.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript, runtimes } from './runtimes.js';

const run = promisify(execFile);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Block {
  lang: 'js' | 'ts';
  code: string;
}

/** The code blocks of the README's "Quick start" section that import wasmpool (not the kernel source). */
function quickStartBlocks(): Block[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Quick start\n');
  expect(start, 'README.md has no "## Quick start" section').toBeGreaterThan(0);
  const section = readme.slice(start + 1, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```(js|ts)\n([\s\S]*?)```/g)]
    .map((match) => ({ lang: match[1] as Block['lang'], code: match[2] }))
    .filter((block) => block.code.includes("from 'wasmpool'"));
}

/** What the block says it prints: the comment after each console.log line. */
function promisedOutput(code: string): string[] {
  return [...code.matchAll(/^\s*console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((match) => match[1].trim());
}

// A throwaway project whose node_modules/wasmpool is this repository, as after `npm install wasmpool`.
const project = mkdtempSync(join(tmpdir(), 'wasmpool-readme-'));
mkdirSync(join(project, 'node_modules'));
symlinkSync(ROOT, join(project, 'node_modules', 'wasmpool'), 'dir');
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-quick-start', private: true, type: 'module' }));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const blocks = quickStartBlocks();
const plain = blocks.find((block) => block.lang === 'js');
const typed = blocks.find((block) => block.lang === 'ts');

describe('the README quick start', () => {
  it('has a plain JavaScript block with try/finally terminate() and a TypeScript block with await using', () => {
    expect(plain?.code).toMatch(/try \{[\s\S]*\} finally \{\s*await pool\.terminate\(\);/);
    expect(plain?.code).not.toMatch(/await using/);
    expect(typed?.code).toMatch(/await using pool = new Pool\(/);
    expect(promisedOutput(plain!.code)).toEqual(['3 [ 1, 4, 9 ] 42']);
    expect(promisedOutput(typed!.code)).toEqual(['3 [ 1, 4, 9 ] 42']);
  });

  for (const runtime of runtimes()) {
    it(`the .mjs block runs as pasted under ${runtime.name} and prints what its comments say`, async () => {
      const file = join(project, `quick-start-${runtime.name}.mjs`);
      writeFileSync(file, plain!.code);
      const out = await runScript(runtime, file, [], 60_000);
      expect(out.trim().split('\n')).toEqual(promisedOutput(plain!.code));
    });
  }

  for (const runtime of runtimes().filter((r) => r.name !== 'node')) {
    it(`the TypeScript await-using block runs as written under ${runtime.name}`, async () => {
      const file = join(project, `quick-start-${runtime.name}.ts`);
      writeFileSync(file, typed!.code);
      const out = await runScript(runtime, file, [], 60_000);
      expect(out.trim().split('\n')).toEqual(promisedOutput(typed!.code));
    });
  }

  it('the TypeScript block type-checks with tsc (strict), as a user project that installed wasmpool', async () => {
    writeFileSync(join(project, 'quick-start.ts'), typed!.code);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'ESNext.Disposable'],
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['quick-start.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    await expect(run(process.execPath, [tsc, '-p', join(project, 'tsconfig.json')], { timeout: 60_000 })).resolves.toBeDefined();
  });
});
