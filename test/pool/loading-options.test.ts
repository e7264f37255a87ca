// The module-loading and worker options added for browser bundlers, as Node sees them: `moduleType` and a file
// whose name does not say what it is, `Pool.create`, and `workerUrl`/`createWorker` refused (Node starts its own
// worker threads). Their browser behaviour is in test/browser/modules.test.ts.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';
import { JS_TASKS, built, thrown } from '../helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasmpool-loading-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('loading options on Node', () => {
  it('a .wasm file without its extension is told by the \\0asm magic', async () => {
    const file = join(scratch, 'kernels-build');
    copyFileSync(built('kernels.wasm'), file);
    const pool = new Pool({ workers: 1, module: file });
    try {
      expect(await pool.apply('sumF64', [new Float64Array([1, 2, 3])])).toBe(6);
    } finally {
      await pool.terminate();
    }
  });

  it('Pool.create resolves with a pool whose module is ready', async () => {
    const pool = await Pool.create({ workers: 1, module: JS_TASKS, moduleType: 'js' });
    try {
      expect(pool).toBeInstanceOf(Pool);
      expect(pool.memory).toBeUndefined();
      const wasm = await Pool.create({ workers: 1 });
      expect(wasm.memory?.buffer).toBeInstanceOf(SharedArrayBuffer);
      await wasm.terminate();
    } finally {
      await pool.terminate();
    }
  });

  it('refuses the browser-only and malformed options, naming them', () => {
    expect(thrown(() => new Pool({ workerUrl: 'worker.js' })).message).toBe("`workerUrl` is for browsers; this runtime starts wasmpool's own worker threads");
    expect(thrown(() => new Pool({ createWorker: () => ({}) as never })).message).toBe(
      "`createWorker` is for browsers; this runtime starts wasmpool's own worker threads",
    );
    expect(thrown(() => new Pool({ moduleType: 'js' })).message).toBe(
      '`moduleType` was given without a `module` URL or path; it tells what kind of file the URL names',
    );
    expect(thrown(() => new Pool({ module: JS_TASKS, moduleType: 'css' as never })).message).toBe('Expected `moduleType` to be "wasm" or "js", got "css"');
    expect(thrown(() => new Pool({ module: 'wasmpool:worker-kernels' })).message).toBe(
      "`module: 'wasmpool:worker-kernels'` needs `createWorker` or `workerUrl` naming the worker script that calls registerKernels()",
    );
  });
});
