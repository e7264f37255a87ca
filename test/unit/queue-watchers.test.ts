import { describe, expect, it } from 'vitest';
import { QueueWatchers } from '../../src/scheduling/queue-watchers.js';
import { thrown } from '../helpers.js';

/** Records the order in which promises settle; `flush` lets their reactions run. */
function recorder(): { settled: string[]; track: (name: string, promise: Promise<void>) => void; flush: () => Promise<void> } {
  const settled: string[] = [];
  return {
    settled,
    track: (name, promise) => void promise.then(() => settled.push(name)),
    flush: () => new Promise((resolve) => setImmediate(resolve)),
  };
}

describe('QueueWatchers', () => {
  it('resolves at once when the condition already holds', async () => {
    const watchers = new QueueWatchers();
    const { settled, track, flush } = recorder();
    track('size<1', watchers.onSizeLessThan(1));
    track('empty', watchers.onEmpty());
    track('idle', watchers.onIdle());
    await flush();
    expect(settled).toEqual(['size<1', 'empty', 'idle']);
    expect(watchers.waiting).toBe(0);
  });

  it('resolves onSizeLessThan waiters as the queue drains past their limits', async () => {
    const watchers = new QueueWatchers();
    const { settled, track, flush } = recorder();
    watchers.changed(10, 2);
    track('a<8', watchers.onSizeLessThan(8));
    track('b<3', watchers.onSizeLessThan(3));
    track('c<8', watchers.onSizeLessThan(8));
    track('empty', watchers.onEmpty());
    track('idle', watchers.onIdle());
    expect(watchers.waiting).toBe(5);
    watchers.changed(8, 2);
    await flush();
    expect(settled).toEqual([]);
    watchers.changed(7, 2);
    await flush();
    expect(settled).toEqual(['a<8', 'c<8']);
    watchers.changed(0, 2);
    await flush();
    expect(settled).toEqual(['a<8', 'c<8', 'b<3', 'empty']);
    watchers.changed(0, 0);
    await flush();
    expect(settled).toEqual(['a<8', 'c<8', 'b<3', 'empty', 'idle']);
    expect(watchers.waiting).toBe(0);
  });

  it('keeps waiting while the size grows, and waits anew after being satisfied', async () => {
    const watchers = new QueueWatchers();
    const { settled, track, flush } = recorder();
    watchers.changed(5, 0);
    track('first', watchers.onSizeLessThan(5));
    watchers.changed(9, 1);
    await flush();
    expect(settled).toEqual([]);
    watchers.changed(4, 1);
    track('second', watchers.onSizeLessThan(5));
    await flush();
    expect(settled).toEqual(['first', 'second']);
    watchers.changed(6, 1);
    track('third', watchers.onSizeLessThan(5));
    await flush();
    expect(settled).toEqual(['first', 'second']);
    expect(watchers.waiting).toBe(1);
  });

  it('holds onIdle while units still run', async () => {
    const watchers = new QueueWatchers();
    const { settled, track, flush } = recorder();
    watchers.changed(0, 3);
    track('idle', watchers.onIdle());
    watchers.changed(0, 1);
    await flush();
    expect(settled).toEqual([]);
    watchers.changed(0, 0);
    await flush();
    expect(settled).toEqual(['idle']);
  });

  it('rejects a limit that could never be met or is not a count', () => {
    const watchers = new QueueWatchers();
    expect(thrown(() => void watchers.onSizeLessThan(0)).message).toBe('Expected `limit` to be a positive integer no larger than 9007199254740991, got 0');
    expect(thrown(() => void watchers.onSizeLessThan(1.5))).toBeInstanceOf(TypeError);
  });
});
