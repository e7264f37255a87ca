// How peers behave when a worker calls process.exit mid-task (the table in docs/RELIABILITY.md).
// Run: node scripts/peer-crash-check.mjs   (python3 is tried too, if present)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import { Pool } from 'wasmpool';

const dir = mkdtempSync(join(tmpdir(), 'peer-crash-'));
const task = join(dir, 'task.mjs');
writeFileSync(
  task,
  "export default function ({ op }) { if (op === 'exit') process.exit(3); return 42; }\nexport function run(op) { if (op === 'exit') process.exit(3); return 42; }\n",
);
const outcome = (promise, ms = 2000) =>
  Promise.race([
    promise.then(
      (v) => `resolved ${v}`,
      (e) => `rejected: ${e.name}: ${e.message}`,
    ),
    new Promise((resolve) => setTimeout(() => resolve(`still pending after ${ms} ms`), ms)),
  ]);

const ours = new Pool({ workers: 1, module: task });
console.log('wasmpool  exit:', await outcome(ours.apply('run', ['exit'])));
console.log('wasmpool  next:', await outcome(ours.apply('run', ['ok'])));
await ours.terminate();

const piscina = new Piscina({ filename: pathToFileURL(task).href, minThreads: 1, maxThreads: 1 });
console.log('piscina   exit:', await outcome(piscina.run({ op: 'exit' })));
console.log('piscina   next:', await outcome(piscina.run({ op: 'ok' })));
await piscina.destroy();

const tinypool = new Tinypool({ filename: pathToFileURL(task).href, minThreads: 1, maxThreads: 1 });
console.log('tinypool  exit:', await outcome(tinypool.run({ op: 'exit' })));
console.log('tinypool  next:', await outcome(tinypool.run({ op: 'ok' })));

const python = join(dir, 'check.py');
writeFileSync(
  python,
  [
    'import os, multiprocessing as mp',
    'def task(x):',
    "    if x == 'exit': os._exit(3)",
    '    return 42',
    "if __name__ == '__main__':",
    '    with mp.Pool(1) as pool:',
    "        r = pool.apply_async(task, ('exit',))",
    '        try: print("python    exit:", r.get(timeout=2))',
    '        except mp.TimeoutError: print("python    exit: still pending after 2000 ms")',
    "        print('python    next:', pool.apply_async(task, ('ok',)).get(timeout=2))",
  ].join('\n'),
);
try {
  process.stdout.write(execFileSync('python3', [python], { timeout: 20_000 }).toString());
} catch (error) {
  console.log(`python    skipped: ${error.message.split('\n')[0]}`);
}
process.exit(0);
