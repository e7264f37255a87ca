// Question 1: how much faster is each built-in WASM kernel than its plain-JS
// twin, on one thread, at two sizes? Discovers what exists: a kernel missing
// from the built module or from kernels-js is reported as "not built yet".
import { fmt } from './lib/format.mjs';
import { kernelSpecs } from './lib/kernel-specs.mjs';
import { loadBuiltIn, loadTwins } from './lib/kernel-host.mjs';
import { interleave, summarize } from './lib/stats.mjs';

export async function run(ctx) {
  ctx.begin('kernels');
  const wasm = await loadBuiltIn();
  const twins = await loadTwins();
  const sampleMs = ctx.quick ? 8 : 60;
  ctx.note('the built-in module exports one SIMD build of each kernel and no scalar variant, so SIMD vs scalar is not measured');

  for (const spec of kernelSpecs(ctx.quick)) {
    const missing = [typeof wasm.exports[spec.name] !== 'function' && 'WASM kernel', typeof twins[spec.name] !== 'function' && 'JS twin'].filter(Boolean);
    if (missing.length > 0) {
      if (spec.target !== undefined) {
        ctx.target(
          `kernel.${spec.name}`,
          `${spec.name}: WASM vs JS twin`,
          { op: '>=', value: spec.target },
          undefined,
          `${missing.join(' and ')} not built yet`,
          'not built yet',
        );
      } else {
        ctx.note(`${spec.name}: ${missing.join(' and ')} not built yet`);
      }
      continue;
    }
    for (const [index, size] of spec.sizes.entries()) {
      wasm.arena.reset();
      const args = size.args();
      const calls = {
        wasm: bindWasm(wasm, spec, args),
        js: bindJs(twins[spec.name], spec, args),
      };
      const samples = await interleave(
        { wasm: timePerCall(calls.wasm, sampleMs), js: timePerCall(calls.js, sampleMs) },
        { warmup: ctx.warmup, reps: ctx.reps, progress: ctx.progress, label: `${spec.name} ${size.label}` },
      );
      const w = ctx.figure(`kernel.${spec.name}.${index}.wasm`, `${spec.name} WASM, ${size.label}`, 'µs/call', samples.wasm);
      const j = ctx.figure(`kernel.${spec.name}.${index}.js`, `${spec.name} JS twin, ${size.label}`, 'µs/call', samples.js);
      const speedup = ctx.ratio(summarize(samples.js), summarize(samples.wasm));
      ctx.figure(`kernel.${spec.name}.${index}.ratio`, `${spec.name} WASM speed-up over JS, ${size.label}`, '×', speedup);
      if (spec.target !== undefined && index === spec.targetAt) {
        ctx.target(
          `kernel.${spec.name}`,
          `${spec.name}: WASM vs JS twin, ${size.short}`,
          { op: '>=', value: spec.target },
          speedup,
          `${fmt(w.median)} vs ${fmt(j.median)} µs/call`,
        );
      }
    }
  }
}

/** One call of the WASM kernel; typed arrays become (ptr, len) in the shared memory. */
function bindWasm(wasm, spec, args) {
  const flat = [];
  let restore;
  args.forEach((arg, i) => {
    if (!ArrayBuffer.isView(arg)) return flat.push(arg);
    const view = wasm.arena.copyOf(arg);
    if (i === spec.restore) restore = { view, pristine: arg.slice() };
    flat.push(view.byteOffset, view.length);
  });
  const kernel = wasm.exports[spec.name];
  if (restore) {
    return () => {
      restore.view.set(restore.pristine);
      return kernel(...flat);
    };
  }
  return () => kernel(...flat);
}

/** One call of the JS twin on ordinary (non-shared) typed arrays, as plain JS code would have them. */
function bindJs(twin, spec, args) {
  const own = args.map((arg) => (ArrayBuffer.isView(arg) ? arg.slice() : arg));
  if (spec.restore !== undefined) {
    const pristine = own[spec.restore].slice();
    const target = own[spec.restore];
    return () => {
      target.set(pristine);
      return twin(...own);
    };
  }
  return () => twin(...own);
}

/**
 * One sample: calls `call` back to back for at least `ms`, returns µs per
 * call. The clock is read after doubling batches, not after every call, so
 * reading it costs nothing next to a sub-microsecond in-cache kernel.
 */
function timePerCall(call, ms) {
  let sink = 0;
  return async () => {
    let calls = 0;
    let batch = 1;
    const start = performance.now();
    let now;
    do {
      for (let i = 0; i < batch; i++) {
        const value = call();
        if (typeof value === 'number') sink += value;
      }
      calls += batch;
      batch *= 2;
      now = performance.now();
    } while (now - start < ms);
    if (Number.isNaN(sink)) sink = 0; // keeps results alive so no call is optimised away
    return ((now - start) * 1000) / calls;
  };
}
