// The README's two-host setup, run as written: examples/scale-out/serve.mjs and submit.mjs as separate processes.
import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from './redis.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

describe('examples/scale-out', () => {
  it('serve.mjs serves, submit.mjs gets its results, and SIGTERM stops the host cleanly', async () => {
    const env = { ...process.env, REDIS_HOST: redis.host, REDIS_PORT: String(redis.port), WORKERS: '1' };
    const host = spawn(process.execPath, ['examples/scale-out/serve.mjs'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let hostOutput = '';
    const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      host.once('exit', (code) => reject(new Error(`serve.mjs exited with ${code}: ${hostOutput}`)));
      host.stdout!.on('data', (data: Buffer) => {
        hostOutput += data.toString();
        if (hostOutput.includes('Serving queue wasmpool-demo')) resolve();
      });
    });
    const { stdout } = await run(process.execPath, ['examples/scale-out/submit.mjs'], { cwd: root, env, timeout: 60_000 });
    expect(stdout).toMatch(/^32 jobs done$/m);
    expect(stdout).toMatch(/^pi is about 3\.1\d\d$/m);
    expect(stdout).toMatch(/^sumF64 of a million halves: 500000$/m);
    expect(stdout).toMatch(/^primes below 10,000,000: 664579$/m);
    expect(stdout).toMatch(/^TaskError: countPrimes: the scratch block must hold at least 65536 bytes/m);
    host.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(hostOutput).toContain('Stopped serving');
  });

  it("the README's two snippets run as they stand: the serve snippet stops on SIGTERM, the submit snippet prints", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### A two-host setup'), readme.indexOf('### Production setup'));
    const [serve, submit] = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]);
    // Inside the package, so `wasmpool` resolves to this build, as it would for a user.
    const files = [join(root, 'test/cluster/.readme-serve.mjs'), join(root, 'test/cluster/.readme-submit.mjs')];
    writeFileSync(files[0], serve);
    writeFileSync(files[1], submit);
    try {
      const env = { ...process.env, REDIS_HOST: redis.host, REDIS_PORT: String(redis.port) };
      const host = spawn(process.execPath, [files[0]], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
      const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
      const { stdout } = await run(process.execPath, [files[1]], { cwd: root, env, timeout: 60_000 });
      expect(stdout).toMatch(/^32\/32$/m);
      expect(stdout).toMatch(/^pi is about 3\.1\d\d$/m);
      expect(stdout).toMatch(/^500000$/m);
      expect(stdout).toMatch(/^664579$/m);
      host.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      for (const file of files) rmSync(file, { force: true });
    }
  });
});
