// JS kernels the cluster tests run on every serving host.
import { existsSync, writeFileSync } from 'node:fs';

export function add(a, b) {
  return a + b;
}

export function square(x) {
  return x * x;
}

/** Returns its arguments as they arrived: what survived the trip through Redis. */
export function echo(...args) {
  return args;
}

export function sumF64(x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

export function scaled(x, a) {
  return x.map((v) => v * a);
}

export function fail(message) {
  throw new Error(message);
}

/** Tags the result with the serving process, so a test can see which hosts took part. */
export function whoami(x) {
  return [x, process.pid];
}

/** Writes `marker` (the test's handshake: "a host is running me"), then blocks its worker until stopped. */
export function hold(marker) {
  writeFileSync(marker, String(process.pid));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

/** Writes `marker` (once per run), then blocks its worker `ms` ms: long enough for a test to kill the host. */
export function slowSquare(x, marker, ms) {
  if (marker) writeFileSync(marker, `${process.pid}\n`, { flag: 'a' });
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return x * x;
}

/** Kills its worker thread on the first run (a WorkerCrashError on the host), returns 'recovered' on the next. */
export function crashOnce(marker) {
  if (!existsSync(marker)) {
    writeFileSync(marker, 'crashed');
    process.exit(1);
  }
  return 'recovered';
}

/** Counts its runs in `marker`, then throws: a kernel error, which must not be retried. */
export function failCounting(marker) {
  writeFileSync(marker, 'x', { flag: 'a' });
  throw new Error('always fails');
}

/** Appends `tag` to `file` as it runs: the order a host ran jobs in. */
export function note(file, tag) {
  writeFileSync(file, `${tag}\n`, { flag: 'a' });
  return tag;
}

/** Throws an error naming a file of the serving host by its absolute path. */
export function failWithPath() {
  throw new Error(`cannot open ${new URL('./secret/own.wasm', import.meta.url).pathname} for reading`);
}
