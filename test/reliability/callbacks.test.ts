import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';

const run = promisify(execFile);

// In a child process: a callback error is rethrown as an uncaught exception, which the test runner
// itself would otherwise catch.
describe('callbacks that throw', () => {
  it('do not change the result or stop the pool, and their errors are not swallowed', async () => {
    const { stdout } = await run(process.execPath, [fixture('scripts/callback-throws.mjs')], { timeout: 30_000 });
    const report = JSON.parse(stdout) as { value: number; map: number[]; after: number; surfaced: string[] };
    expect(report.value).toBe(3);
    expect(report.map).toEqual([1, 4, 9]);
    expect(report.after).toBe(42);
    expect(report.surfaced).toContain('callback exploded');
    expect(report.surfaced.filter((m) => m === 'progress exploded').length).toBeGreaterThanOrEqual(1);
  });
});
