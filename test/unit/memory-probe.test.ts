import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { WASM_ONLY_PROBE, v8HeapProbe, workerMemoryMb, type HeapProbe } from '../../src/worker/memory-probe.js';
import { fixture } from '../helpers.js';

const MB = 1024 * 1024;
const fixedProbe = (bytes: number, countsWasmMemories: boolean): HeapProbe => ({ bytes: () => bytes, countsWasmMemories });

describe('workerMemoryMb', () => {
  it('adds owned WASM memories, once each, but never the pool shared memory', () => {
    const own = new WebAssembly.Memory({ initial: 32 }); // 2 MB
    const other = new WebAssembly.Memory({ initial: 16 }); // 1 MB
    const shared = new WebAssembly.Memory({ initial: 160, maximum: 160, shared: true }); // 10 MB
    expect(workerMemoryMb(fixedProbe(5 * MB, false), [own, shared, other, own, undefined], shared)).toBe(8);
    expect(workerMemoryMb(WASM_ONLY_PROBE, [own], shared)).toBe(2);
    expect(workerMemoryMb(WASM_ONLY_PROBE, [])).toBe(0);
  });

  it('sees a memory that grew since the last call', () => {
    const own = new WebAssembly.Memory({ initial: 16 });
    expect(workerMemoryMb(WASM_ONLY_PROBE, [own])).toBe(1);
    own.grow(16);
    expect(workerMemoryMb(WASM_ONLY_PROBE, [own])).toBe(2);
  });

  it('does not add WASM memories again when the probe already counts them', () => {
    const own = new WebAssembly.Memory({ initial: 32 });
    expect(workerMemoryMb(fixedProbe(3 * MB, true), [own])).toBe(3);
  });
});

describe('v8HeapProbe', () => {
  it('is the used heap plus external memory, and counts WASM memories only where external memory is reported', () => {
    const probe = v8HeapProbe(() => ({ used_heap_size: 4 * MB, external_memory: 2 * MB }));
    expect(probe.bytes()).toBe(6 * MB);
    expect(probe.countsWasmMemories).toBe(true);
    expect(v8HeapProbe(() => ({ used_heap_size: MB })).countsWasmMemories).toBe(false);
    expect(v8HeapProbe(() => ({ used_heap_size: MB, external_memory: 0 }), { countsWasmMemories: false }).countsWasmMemories).toBe(false);
  });

  it('counts ArrayBuffers and non-shared WASM memories through external_memory, and not shared ones', async () => {
    // Measured in a fresh thread: here, garbage left by earlier tests (their WASM memories) can be freed between
    // the two reads by the collection 32 MB of external memory starts, which hid part of the growth under load.
    const probeUrl = new URL('../../dist/worker/memory-probe.js', import.meta.url).href;
    const source = `
      const { parentPort } = require('node:worker_threads');
      const { getHeapStatistics } = require('node:v8');
      (async () => {
        const { v8HeapProbe } = await import(${JSON.stringify(probeUrl)});
        const MB = 1024 * 1024;
        const probe = v8HeapProbe(getHeapStatistics);
        const before = probe.bytes();
        const held = [new WebAssembly.Memory({ initial: 16 * 16 }), new Uint8Array(16 * MB)];
        const grown = probe.bytes() - before;
        const shared = new WebAssembly.Memory({ initial: 16 * 16, maximum: 16 * 16, shared: true });
        const afterShared = probe.bytes() - before;
        parentPort.postMessage({ grown: grown / MB, sharedAdded: (afterShared - grown) / MB, kept: held.length + shared.buffer.byteLength });
      })();
    `;
    const worker = new Worker(source, { eval: true });
    const { grown, sharedAdded, kept } = await new Promise<{ grown: number; sharedAdded: number; kept: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(grown).toBeGreaterThanOrEqual(31);
    expect(grown).toBeLessThan(40);
    expect(sharedAdded).toBeLessThan(4);
    expect(kept).toBeGreaterThan(0);
  });
});

describe('v8HeapProbe in a worker thread', () => {
  it('measures that worker alone: its growth does not show on the main thread', async () => {
    const probeUrl = new URL('../../dist/worker/memory-probe.js', import.meta.url).href;
    const leakyUrl = new URL(`file://${fixture('js/leaky.mjs')}`).href;
    // The worker reports its own figure before and after leaking 96 MB three ways, then waits to be told to exit.
    const source = `
      const { parentPort } = require('node:worker_threads');
      const { getHeapStatistics } = require('node:v8');
      (async () => {
        const { v8HeapProbe, workerMemoryMb } = await import(${JSON.stringify(probeUrl)});
        const leaky = await import(${JSON.stringify(leakyUrl)});
        const probe = v8HeapProbe(getHeapStatistics);
        const before = workerMemoryMb(probe, []);
        leaky.leak(32);
        leaky.leakBuffer(32);
        leaky.leakWasmMemory(32);
        parentPort.postMessage({ before, after: workerMemoryMb(probe, []), retained: leaky.retainedMb() });
      })();
    `;
    const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
    const mainProbe = v8HeapProbe(getHeapStatistics);
    collect();
    const mainBefore = mainProbe.bytes() / MB;
    const worker = new Worker(source, { eval: true });
    try {
      const report = await new Promise<{ before: number; after: number; retained: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      collect();
      const mainAfter = mainProbe.bytes() / MB;
      expect(report.retained).toBe(96);
      expect(report.after - report.before).toBeGreaterThanOrEqual(95);
      expect(report.after - report.before).toBeLessThan(110);
      // Had the figure been process-wide, the main thread would have seen the 96 MB too.
      expect(mainAfter - mainBefore).toBeLessThan(24);
    } finally {
      await worker.terminate();
    }
  });
});
