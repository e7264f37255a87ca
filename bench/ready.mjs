// Part of question 3: what ready() costs to poll, and how soon after a task
// ends it turns true while the caller never yields (no await, no event-loop
// turn between the task's end and the poll that sees it).
import { Pool } from 'wasmpool';
import { RELEASE, RUNNING } from './peers/ready-probe.mjs';
import { median, quantile } from './lib/stats.mjs';
import { fmt } from './lib/format.mjs';

const probeUrl = new URL('./peers/ready-probe.mjs', import.meta.url);
const STUCK_MS = 10_000;

export async function measureReady(ctx, workers) {
  const polls = ctx.quick ? 200_000 : 2_000_000;
  const endings = ctx.quick ? 40 : 300;
  const pool = new Pool({ workers, module: probeUrl });
  try {
    const cost = [];
    const latency = [];
    for (let round = -ctx.warmup; round < ctx.reps; round++) {
      ctx.progress(`ready(): ${round < 0 ? 'warm-up' : `rep ${round + 1}/${ctx.reps}`}`);
      const c = await pollCost(pool, polls);
      const l = await endToReady(pool, endings);
      if (round >= 0) {
        cost.push(c);
        latency.push(l);
      }
    }
    const poll = ctx.figure('ready.poll', `ready() poll cost on a pending result (${polls.toLocaleString('en')} polls)`, 'µs', cost);
    const med = ctx.figure(
      'ready.latency.median',
      `task end → ready() true, caller never yielding (median of ${endings})`,
      'µs',
      latency.map((l) => l.median),
    );
    const p99 = ctx.figure(
      'ready.latency.p99',
      `task end → ready() true, caller never yielding (p99 of ${endings})`,
      'µs',
      latency.map((l) => l.p99),
    );
    ctx.target('ready.poll', 'ready() poll cost', { op: '<=', value: 0.1, unit: 'µs' }, poll, `${fmt(poll.median * 1000)} ns per call`);
    ctx.target('ready.latency', 'task end → ready() true, median', { op: '<=', value: 50, unit: 'µs' }, med, `p99 ${fmt(p99.median)} µs`);
  } finally {
    await pool.terminate();
  }
}

/** µs per ready() call on a result whose task is held running, so every call reads the shared flag. */
async function pollCost(pool, polls) {
  const cells = new Int32Array(new SharedArrayBuffer(8));
  const result = pool.applyAsync('holdUntilReleased', [cells.buffer]);
  await null; // let the pool flush its dispatch
  const giveUp = performance.now() + STUCK_MS;
  while (Atomics.load(cells, RUNNING) === 0) {
    result.ready();
    if (performance.now() > giveUp) throw new Error('the probe task never started');
  }
  let seen = 0;
  const t = performance.now();
  for (let i = 0; i < polls; i++) if (result.ready()) seen++;
  const us = ((performance.now() - t) * 1000) / polls;
  Atomics.store(cells, RELEASE, 1);
  await result.get();
  if (seen !== 0) throw new Error('ready() was true while the task was still held');
  return us;
}

/**
 * For each of `count` tasks: wait (spinning) until the task runs, flip the
 * release cell, then spin on ready() and time flip → true. The caller does
 * not yield in between, so only shared memory can carry the news.
 */
async function endToReady(pool, count) {
  const latencies = [];
  for (let i = 0; i < count; i++) {
    const cells = new Int32Array(new SharedArrayBuffer(8));
    const result = pool.applyAsync('holdUntilReleased', [cells.buffer]);
    await null; // dispatch is flushed from a microtask; from here on the caller never yields
    const giveUp = performance.now() + STUCK_MS;
    // Polling ready() is what lets the pool hand over queued work without an event-loop turn.
    while (Atomics.load(cells, RUNNING) === 0) {
      result.ready();
      if (performance.now() > giveUp) throw new Error('the probe task never started');
    }
    const t = performance.now();
    Atomics.store(cells, RELEASE, 1);
    while (!result.ready()) if (performance.now() > giveUp) throw new Error('ready() never turned true');
    latencies.push((performance.now() - t) * 1000);
    await result.get();
  }
  return { median: median(latencies), p99: quantile(latencies, 0.99) };
}
