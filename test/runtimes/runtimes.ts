/**
 * The JavaScript runtimes the runtime suite drives: this Node, and the Bun and Deno binaries that the
 * `@oven/bun-linux-x64` and `@deno/linux-x64-glibc` devDependencies ship (nothing is downloaded at test
 * time, nothing needs to be on PATH).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Runtime {
  name: 'node' | 'bun' | 'deno';
  binary: string;
  /** Arguments before the script: Deno runs nothing without permissions (the scenarios read files and start workers). */
  prefix: string[];
}

const require = createRequire(import.meta.url);

/** The binary inside an npm package, or a clear error saying which install step is missing. */
function packagedBinary(pkg: string, relative: string): string {
  let root: string;
  try {
    root = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed: run \`npm install\` (it is a devDependency, for linux-x64 glibc)`);
  }
  const binary = join(root, relative);
  if (!existsSync(binary)) throw new Error(`${binary} is missing: reinstall ${pkg} with \`npm install\``);
  return binary;
}

export function runtimes(): Runtime[] {
  return [
    { name: 'node', binary: process.execPath, prefix: [] },
    { name: 'bun', binary: packagedBinary('@oven/bun-linux-x64', 'bin/bun'), prefix: [] },
    { name: 'deno', binary: packagedBinary('@deno/linux-x64-glibc', 'deno'), prefix: ['run', '--allow-all'] },
  ];
}

export const SCRIPTS = fileURLToPath(new URL('./scripts/', import.meta.url));

/** Runs `script` under `runtime` and returns its stdout; rejects with stderr and the exit status on failure. */
export function runScript(runtime: Runtime, script: string, args: string[] = [], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      runtime.binary,
      [...runtime.prefix, script, ...args],
      // NO_COLOR keeps Deno's and Bun's diagnostics readable in a failure message.
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${runtime.name} ${script} failed (${error.message.split('\n')[0]}):\n${stderr}\n${stdout}`, { cause: error }));
        else resolve(stdout);
      },
    );
  });
}

/** Version line of a runtime, for the suite's log. */
export async function versionOf(runtime: Runtime): Promise<string> {
  const out = await runScript({ ...runtime, prefix: [] }, '--version', [], 30_000);
  return out.split('\n')[0].trim();
}
