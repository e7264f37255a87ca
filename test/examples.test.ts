import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const VALUE = String.raw`(0(\.\d+)?|1|\d\.\d+e-\d+)`;
const TASK_LINE = (id: number | string): RegExp => new RegExp(`^Task ${id} executing with ${VALUE}$`, 'm');

async function example(name: string, args: string[] = [], cwd = root): Promise<string> {
  const { stdout } = await run(process.execPath, [join(root, 'examples', name), ...args], { cwd, timeout: 60_000 });
  return stdout;
}

// With test/fixtures/scripts/fixed-seed.mjs preloaded, the tutorial task draws a fixed value per seed: these two
// put it well on each side of the examples' 500 ms (a worker's start-up adds tens of ms to the task's sleep).
const QUICK_SEED = 2; // draws 0.100…: the task sleeps 100 ms
const SLOW_SEED = 3; // draws 0.774…: the task sleeps 774 ms
async function seededExample(name: string, seed: number): Promise<{ out: string; value: number }> {
  const { stdout } = await run(process.execPath, ['--import', join(root, 'test/fixtures/scripts/fixed-seed.mjs'), `examples/${name}`], {
    cwd: root,
    timeout: 30_000,
    env: { ...process.env, WASMPOOL_FIXED_SEED: String(seed) },
  });
  const value = valueOfTask(stdout);
  expect(value).toBeLessThan(seed === QUICK_SEED ? 0.25 : 1); // the seed still gives the value it was chosen for
  if (seed === SLOW_SEED) expect(value).toBeGreaterThan(0.6);
  return { out: stdout, value };
}

function valueOfTask(output: string, id = 0): number {
  const match = TASK_LINE(id).exec(output);
  expect(match).not.toBeNull();
  return Number(match![1]);
}

// Every scenario of the AsyncResult tutorial, run as a user would run it, checking what it prints.
describe('examples (the tutorial scenarios)', () => {
  it('01 applyAsync issues one task, which reports its value', async () => {
    const out = await example('01-apply-async.mjs');
    expect(out).toMatch(/^Issued: ready\(\) is false$/m);
    valueOfTask(out);
  });

  it.each(['02-map-async.mjs', '03-starmap-async.mjs'])('%s issues ten tasks, each reporting once', async (name) => {
    const out = await example(name);
    for (let id = 0; id < 10; id++) expect(out.match(new RegExp(`^Task ${id} executing`, 'gm'))).toHaveLength(1);
    expect(out).toMatch(/^All done: true$/m);
  });

  it('04 get() returns the value the task reported', async () => {
    const out = await example('04-get.mjs');
    expect(out).toMatch(new RegExp(`^Got: ${valueOfTask(out)}$`, 'm'));
  });

  it('05 get(500) gets the value of a task that sleeps 100 ms', async () => {
    const { out, value } = await seededExample('05-get-timeout.mjs', QUICK_SEED);
    expect(out).toMatch(new RegExp(`^Got: ${value}$`, 'm'));
    expect(out).not.toMatch(/Failed/);
  });

  it('05 get(500) reports the failure for a task that sleeps 774 ms', async () => {
    const { out } = await seededExample('05-get-timeout.mjs', SLOW_SEED);
    expect(out).toMatch(/^Failed to get the result$/m);
    expect(out).not.toMatch(/^Got:/m);
  });

  it("06 get() on a failing task reports the task's own message", async () => {
    const out = await example('06-get-exception.mjs');
    valueOfTask(out);
    expect(out).toMatch(/^Failed to get the result: Something bad happened at assembly\/examples\/seed\.ts:\d+:\d+$/m);
  });

  it('07 wait() returns once the task is done', async () => {
    const out = await example('07-wait.mjs');
    valueOfTask(out);
    expect(out).toMatch(/^Done: ready\(\) is true$/m);
  });

  it('08 wait(500) reports a task that sleeps 100 ms as done, and one that sleeps 774 ms as not', async () => {
    expect((await seededExample('08-wait-timeout.mjs', QUICK_SEED)).out).toMatch(/^All Done$/m);
    expect((await seededExample('08-wait-timeout.mjs', SLOW_SEED)).out).toMatch(/^Not Done Yet$/m);
  });

  it('09 ready() after a blocking 500 ms sleep: complete for a 100 ms task, not complete for a 774 ms one', async () => {
    expect((await seededExample('09-ready.mjs', QUICK_SEED)).out).toMatch(/^Tasks are complete$/m);
    expect((await seededExample('09-ready.mjs', SLOW_SEED)).out).toMatch(/^Tasks are not complete$/m);
  });

  it('10 successful() is true for a task that returned', async () => {
    expect(await example('10-successful.mjs')).toMatch(/^Tasks were successful$/m);
  });

  it('11 successful() is false for a task that threw', async () => {
    expect(await example('11-unsuccessful.mjs')).toMatch(/^Tasks were not successful$/m);
  });

  it('12 successful() before completion throws NotReadyError', async () => {
    expect(await example('12-successful-not-ready.mjs')).toMatch(/^NotReadyError: The result is not ready yet/m);
  });

  it('13 getSync() gets a whole map from synchronous code', async () => {
    const out = await example('13-get-sync.mjs');
    const values = [0, 1, 2, 3].map((id) => valueOfTask(out, id).toFixed(3));
    expect(out).toMatch(new RegExp(`^Got: ${values.join(', ')}$`, 'm'));
  });
});

// The parallel examples and the server, at small sizes where they take one: checked by what they print (the
// answer and its check), not only by their exit code as CI's examples step does.
describe('examples (parallel and server)', () => {
  const workers = availableParallelism();

  it('parallel-sum: the parallel sum equals the one-worker sum and the closed form', async () => {
    const out = await example('parallel-sum.mjs', ['1000000']);
    expect(out).toMatch(/^sum of 1000000 values: 249750000 \(one worker: 249750000\)$/m);
    expect(out).toMatch(new RegExp(`^${workers} workers: [\\d.]+ ms; one worker: [\\d.]+ ms$`, 'm'));
  });

  it('parallel-matmul: the sampled element of C equals the one computed on this thread', async () => {
    const out = await example('parallel-matmul.mjs', ['256']);
    const match = /^c\[128\]\[64\] = (-?[\d.e-]+) \(expected (-?[\d.e-]+)\)$/m.exec(out);
    expect(match).not.toBeNull();
    expect(match![1]).toBe(match![2]);
  });

  it('parallel-primes: 78,498 primes below 10^6', async () => {
    expect(await example('parallel-primes.mjs', ['1000000'])).toMatch(new RegExp(`^78498 primes below 1000000 \\([\\d.]+ ms on ${workers} workers\\)$`, 'm'));
  });

  it('parallel-sort: the sorted array checks out', async () => {
    expect(await example('parallel-sort.mjs', ['1000000'])).toMatch(/^1000000 values sorted: true; parallelSort on \d+ workers/m);
  });

  it('parallel-histogram-pi: a bell-shaped histogram of 20 bins, and pi to two decimals', async () => {
    const out = await example('parallel-histogram-pi.mjs');
    const bars = [...out.matchAll(/^(\d\.\d\d) (#*)$/gm)].map((m) => [m[1], m[2].length] as const);
    expect(bars.map(([bin]) => bin)).toEqual(Array.from({ length: 20 }, (_, b) => (b / 20).toFixed(2)));
    const heights = bars.map(([, height]) => height);
    expect(Math.max(heights[9], heights[10])).toBe(50); // the widest bar is one of the two middle ones
    expect(heights[0]).toBeLessThanOrEqual(1);
    expect(heights[19]).toBeLessThanOrEqual(1);
    for (let b = 1; b <= 9; b++) expect(heights[b]).toBeGreaterThanOrEqual(heights[b - 1]); // rises to the middle
    for (let b = 11; b < 20; b++) expect(heights[b]).toBeLessThanOrEqual(heights[b - 1]); // and falls after it
    const pi = Number(/^pi ≈ ([\d.]+) from 100000000 samples$/m.exec(out)?.[1]);
    expect(Math.abs(pi - Math.PI)).toBeLessThan(0.002);
  });

  it('parallel-mandelbrot: writes a PGM whose pixels are black inside the set and light far outside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmpool-mandelbrot-'));
    try {
      const file = join(dir, 'm.pgm');
      const out = await example('parallel-mandelbrot.mjs', ['512', file], dir);
      expect(out).toMatch(new RegExp(`^512×512 pixels, 256 iterations max, on ${workers} workers: \\d+ ms$`, 'm'));
      expect(out).toMatch(new RegExp(`^wrote ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
      const bytes = readFileSync(file);
      const header = Buffer.from('P5 512 512 255\n');
      expect(bytes.subarray(0, header.length).equals(header)).toBe(true);
      expect(bytes.length).toBe(header.length + 512 * 512);
      const pixel = (x: number, y: number) => bytes[header.length + Math.round((y + 1.5) / (3 / 512)) * 512 + Math.round((x + 2.2) / (3 / 512))];
      expect(pixel(-0.5, 0)).toBe(0); // inside the main cardioid: never escapes
      expect(pixel(-0.1, 0.2)).toBe(0);
      expect(pixel(-2.2, -1.5)).toBeGreaterThanOrEqual(250); // the corner escapes at once
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('server-backpressure --self-test: every request of the burst answered (waiting for room, never refused), pi from them, stats counting exactly them', async () => {
    const out = await example('server-backpressure.mjs', ['--self-test']);
    expect(out).toMatch(/^listening on http:\/\/localhost:\d+$/m);
    const [, answered, mean] = /^(\d+) of 200 answered; mean pi ([\d.]+)$/m.exec(out) ?? [];
    // A request that finds the queue full waits for room again: none is refused.
    expect(Number(answered)).toBe(200);
    expect(Math.abs(Number(mean) - Math.PI)).toBeLessThan(0.01);
    const stats = JSON.parse(out.slice(out.indexOf('{'))) as { workers: number; runTime: { count: number }; waitTime: { count: number }; utilization: number };
    expect(stats.runTime.count).toBe(Number(answered));
    expect(stats.waitTime.count).toBe(Number(answered));
    expect(stats.workers).toBeGreaterThanOrEqual(1);
    expect(stats.workers).toBeLessThanOrEqual(workers);
    expect(stats.utilization).toBeGreaterThan(0);
    expect(stats.utilization).toBeLessThanOrEqual(1);
  });
});
