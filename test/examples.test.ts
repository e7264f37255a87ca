import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const VALUE = String.raw`(0(\.\d+)?|1|\d\.\d+e-\d+)`;
const TASK_LINE = (id: number | string): RegExp => new RegExp(`^Task ${id} executing with ${VALUE}$`, 'm');

async function example(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, [`examples/${name}`], { cwd: root, timeout: 30_000 });
  return stdout;
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

  it('05 get(500) gets the value if the task slept less than 500 ms, else reports the failure', async () => {
    const out = await example('05-get-timeout.mjs');
    const value = valueOfTask(out);
    // Near 0.5 s either outcome is right: the task's sleep starts only once its worker is up (tens of ms,
    // more on a loaded machine), so below 0.25 s it surely finished and above 0.55 s it surely did not.
    if (value < 0.25) expect(out).toMatch(new RegExp(`^Got: ${value}$`, 'm'));
    else if (value > 0.55) expect(out).toMatch(/^Failed to get the result$/m);
    else expect(out).toMatch(/^(Got: .*|Failed to get the result)$/m);
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

  it('08 wait(500) reports whether the task finished in time', async () => {
    const out = await example('08-wait-timeout.mjs');
    const value = valueOfTask(out);
    if (value < 0.25) expect(out).toMatch(/^All Done$/m);
    else if (value > 0.55) expect(out).toMatch(/^Not Done Yet$/m);
    else expect(out).toMatch(/^(All Done|Not Done Yet)$/m);
  });

  it("09 ready() after a blocking 500 ms sleep matches the task's sleep", async () => {
    const out = await example('09-ready.mjs');
    const value = valueOfTask(out);
    if (value < 0.25) expect(out).toMatch(/^Tasks are complete$/m);
    else if (value > 0.55) expect(out).toMatch(/^Tasks are not complete$/m);
    else expect(out).toMatch(/^Tasks are (not )?complete$/m);
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
