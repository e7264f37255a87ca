// The parts of wasmpool/bullmq that need no Redis: the value codec and the exactly-once books.
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../dist/bullmq/codec.js';
import { Submission, SubmissionBook, type Outbox } from '../../dist/bullmq/submissions.js';
import { failureReason, recordOfReason } from '../../dist/bullmq/errors.js';
import { FlagTable } from '../../dist/bullmq/flags.js';

const trip = (value: unknown): unknown => decode(JSON.parse(JSON.stringify(encode(value))));

describe('codec', () => {
  it('carries typed arrays, bigint, non-finite numbers, -0, undefined, Map, Set, Date through JSON', () => {
    const value = {
      f64: new Float64Array([1.5, NaN, -Infinity]),
      i32: new Int32Array([-1, 2 ** 31 - 1]),
      u8: new Uint8Array([0, 255]),
      big: new BigInt64Array([-5n]),
      n: 12345678901234567890n,
      zero: -0,
      nothing: undefined,
      list: [1, undefined, 'x'],
      map: new Map<unknown, unknown>([['a', new Float32Array([0.5])]]),
      set: new Set([1, 2]),
      date: new Date(1_700_000_000_000),
      buffer: new Uint16Array([7, 8]).buffer,
    };
    const back = trip(value) as typeof value;
    expect(back.f64).toBeInstanceOf(Float64Array);
    expect([...back.f64]).toEqual([1.5, NaN, -Infinity]);
    expect(back.i32).toEqual(new Int32Array([-1, 2 ** 31 - 1]));
    expect(back.u8).toEqual(new Uint8Array([0, 255]));
    expect(back.big).toEqual(new BigInt64Array([-5n]));
    expect(back.n).toBe(12345678901234567890n);
    expect(Object.is(back.zero, -0)).toBe(true);
    expect('nothing' in back && back.nothing === undefined).toBe(true);
    expect(back.list).toEqual([1, undefined, 'x']);
    expect(back.map.get('a')).toEqual(new Float32Array([0.5]));
    expect(back.set).toEqual(new Set([1, 2]));
    expect(back.date.getTime()).toBe(1_700_000_000_000);
    expect(new Uint16Array(back.buffer)).toEqual(new Uint16Array([7, 8]));
  });

  it('copies a view of shared memory by value, keeping only the viewed part', () => {
    const shared = new Float64Array(new SharedArrayBuffer(32)).fill(3);
    const back = trip(shared.subarray(1, 3)) as Float64Array;
    expect(back.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...back]).toEqual([3, 3]);
  });

  it('keeps a user object that has the tag key as a plain object', () => {
    expect(trip({ $wp: 'Float64Array', v: 'AAAA' })).toEqual({ $wp: 'Float64Array', v: 'AAAA' });
  });

  it('refuses functions and symbols, naming the argument', () => {
    expect(() => encode([() => 1], 'args')).toThrow(/`args`.*function/);
    expect(() => encode(Symbol('s'), 'args')).toThrow(/`args`.*symbol/);
  });
});

describe('failure reasons', () => {
  it('round-trips the class, kernel and message of a failure through one readable line', () => {
    const error = Object.assign(new Error('index out of range at assembly/x.ts:3:4'), { name: 'TaskError' });
    const reason = failureReason(error, 'matmul');
    expect(reason).toBe('wasmpool TaskError [matmul]: index out of range at assembly/x.ts:3:4');
    expect(recordOfReason(reason, '7', 'matmul')).toMatchObject({ name: 'TaskError', kernel: 'matmul', message: 'index out of range at assembly/x.ts:3:4' });
  });

  it("reads BullMQ's own reasons (a job stalled too often) as a crash of the host", () => {
    expect(recordOfReason('job stalled more than allowable limit', '9', 'k')).toMatchObject({
      name: 'WorkerCrashError',
      message: expect.stringContaining('stalled'),
    });
  });
});

function recorder(): Outbox & { log: unknown[] } {
  const log: unknown[] = [];
  return {
    log,
    settled: (submission: Submission, ok: boolean, value: unknown) => log.push(['settled', submission.id, ok, value]),
    progress: (submission: Submission, done: number, total: number) => log.push(['progress', done, total]),
    chunk: (submission: Submission, offset: number, values: unknown[]) => log.push(['chunk', offset, values]),
  } as Outbox & { log: unknown[] };
}

describe('submission books (exactly-once settlement)', () => {
  const map = (id: number): Submission =>
    new Submission({
      id,
      flag: 0,
      kernel: 'k',
      kind: 'map',
      total: 4,
      chunks: [
        { jobId: 'a', offset: 0, size: 2 },
        { jobId: 'b', offset: 2, size: 2 },
      ],
      stream: false,
      progress: true,
    });

  it('settles a map once, in input order, however often and in whatever order its chunks are reported', () => {
    const book = new SubmissionBook();
    const out = recorder();
    book.add(map(1));
    book.completed('b', [30, 40], out);
    book.completed('b', [31, 41], out);
    book.completed('a', [10, 20], out);
    book.completed('a', [11, 21], out);
    expect(out.log.filter((entry) => (entry as unknown[])[0] === 'settled')).toEqual([['settled', 1, true, [10, 20, 30, 40]]]);
    expect(out.log.filter((entry) => (entry as unknown[])[0] === 'progress')).toEqual([
      ['progress', 2, 4],
      ['progress', 4, 4],
    ]);
    expect(book.size).toBe(0);
  });

  it('fails a map with its first error and ignores what its other jobs report afterwards', () => {
    const book = new SubmissionBook();
    const out = recorder();
    book.add(map(2));
    expect(book.failed('a', { name: 'TaskError', message: 'boom' }, out)).toEqual(['b']);
    book.completed('b', [1, 2], out);
    expect(out.log).toEqual([['settled', 2, false, { name: 'TaskError', message: 'boom' }]]);
  });

  it('never lets progress go backwards', () => {
    const book = new SubmissionBook();
    const out = recorder();
    book.add(map(3));
    book.progress('a', 1, out);
    book.progress('a', 1, out);
    book.progress('a', 0, out);
    book.completed('a', [1, 2], out);
    expect(out.log).toEqual([
      ['progress', 1, 4],
      ['progress', 2, 4],
    ]);
  });
});

describe('completion flags', () => {
  it('reuse a settled result’s flag only once the client thread has raised it', () => {
    const segments: SharedArrayBuffer[] = [];
    const flags = new FlagTable((_, buffer) => segments.push(buffer));
    const firstSegment = Array.from({ length: 4096 }, () => flags.allocate());
    const first = firstSegment[0];
    flags.retire(first);
    // The settle message arrived before the client's store: the flag must not go to the next result yet.
    expect(flags.allocate()).not.toBe(first);
    Atomics.store(new Int32Array(segments[0]), first, 1);
    for (let i = 1; i < 4096; i++) expect(flags.allocate()).not.toBe(first);
    const next = flags.allocate();
    expect(next).toBe(first);
    expect(flags.isSet(next)).toBe(false);
  });
});
