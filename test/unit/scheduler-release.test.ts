// A terminated scheduler must be collectable: an Atomics.waitAsync it had armed on the pool signal is held by the
// engine until notified, and with it the scheduler, its shared buffers and everything its units reference.
// (Found by the model-based soak: 100,000 runs grew the process past 20 GB.)
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Scheduler } from '../../src/scheduling/scheduler.js';
import { applyWatched, makeScheduler, settleMicrotasks } from './scheduler-harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('Scheduler: nothing keeps a terminated scheduler alive', () => {
  it('its armed completion wait is released by terminate(), so the scheduler is collected', async () => {
    const made = async (): Promise<WeakRef<Scheduler>> => {
      const { scheduler, transport } = makeScheduler();
      applyWatched(scheduler, { kernel: 'add', args: [1, 2] }); // in the shared queue: the completion wait is armed
      const done = scheduler.terminate();
      transport.exitTerminated();
      await done;
      return new WeakRef(scheduler);
    };
    const ref = await made();
    for (let i = 0; i < 5 && ref.deref() !== undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await settleMicrotasks();
      gc();
    }
    expect(ref.deref()).toBeUndefined();
  });
});
