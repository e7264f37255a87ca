// The parts of wasmpool/bullmq that need no Redis: the value codec and the exactly-once books.
import { describe, expect, it } from 'vitest';
import { decode, encode, encodeList, encodeNumbers, MAX_BIGINT_HEX } from '../../dist/bullmq/codec.js';
import { Submission, SubmissionBook, type Outbox } from '../../dist/bullmq/submissions.js';
import { failureReason, recordOfReason, withoutHostPaths } from '../../dist/bullmq/errors.js';
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

  it('packs a list of numbers only into one Float64Array, exactly (NaN, ±Infinity, -0), decoding to a plain array', () => {
    const numbers = [1.5, NaN, -Infinity, -0, 2 ** 53];
    const packed = encodeList(numbers, 'items') as { $wp: string };
    expect(packed.$wp).toBe('numbers');
    const back = decode(JSON.parse(JSON.stringify(packed))) as number[];
    expect(Array.isArray(back)).toBe(true);
    expect(back).toEqual(numbers);
    expect(Object.is(back[3], -0)).toBe(true);
    expect(encodeList([1, 'x'], 'items')).toEqual([1, 'x']);
    expect(decode(encodeNumbers(new Float64Array([3, 4]).subarray(1)))).toEqual([4]);
  });

  it('keeps a user object that has the tag key as a plain object', () => {
    expect(trip({ $wp: 'Float64Array', v: 'AAAA' })).toEqual({ $wp: 'Float64Array', v: 'AAAA' });
  });

  it('refuses functions and symbols, naming the argument', () => {
    expect(() => encode([() => 1], 'args')).toThrow(/`args`.*function/);
    expect(() => encode(Symbol('s'), 'args')).toThrow(/`args`.*symbol/);
  });
});

describe('codec against hostile and careless input (issue 21)', () => {
  it('sends bigints in hex, refuses one beyond the size limit at the call, and a malformed one as a TypeError', () => {
    expect(encode(-255n)).toEqual({ $wp: 'bigint', v: '-0xff' });
    expect(trip(2n ** 200n + 1n)).toBe(2n ** 200n + 1n);
    expect(() => encode(1n << BigInt(MAX_BIGINT_HEX * 4 + 8), 'args')).toThrow(RangeError);
    expect(() => decode({ $wp: 'bigint', v: '12345' })).toThrow(TypeError);
    expect(() => decode({ $wp: 'bigint', v: `0x${'f'.repeat(MAX_BIGINT_HEX + 1)}` })).toThrow(/at most 1048576 digits/);
    // What took a host's event loop ~10 s in decimal (4M digits) is refused at once, without parsing.
    const started = performance.now();
    expect(() => decode({ $wp: 'bigint', v: '9'.repeat(4_000_000) })).toThrow(TypeError);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a cycle as a TypeError naming the argument, and keeps a repeated (acyclic) reference', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => encode([cyclic], 'args')).toThrow(/^Expected `args` to hold no cycles/);
    const shared = { x: 1 };
    expect(trip([shared, shared])).toEqual([{ x: 1 }, { x: 1 }]);
  });

  it('keeps an own `__proto__` key as a key, and never sets a prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "b": 2}') as Record<string, unknown>;
    const back = trip(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')!.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("strips the serving host's absolute paths from a failure reason, keeping relative source positions", () => {
    expect(withoutHostPaths('cannot open /srv/app/kernels/own.wasm and file:///srv/x/k.wasm at assembly/kernels/m.ts:41:5')).toBe(
      'cannot open …/own.wasm and …/k.wasm at assembly/kernels/m.ts:41:5',
    );
    expect(failureReason(new Error('missing /home/me/secret.js'), 'k')).toBe('wasmpool Error [k]: missing …/secret.js');
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
    load: (submission: Submission, started: number, done: number) => log.push(['load', started, done]),
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
      reply: 'r',
      secret: 's',
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

  it('joins chunks of packed numbers into one Float64Array, and mixed chunks into one array', () => {
    const out = recorder();
    const packed = map(20);
    packed.complete(1, new Float64Array([3, 4]), out);
    packed.complete(0, new Float64Array([1, 2]), out);
    const mixed = map(21);
    mixed.complete(0, new Float64Array([1, 2]), out);
    mixed.complete(1, ['x', 4], out);
    const settled = out.log.filter((entry) => (entry as unknown[])[0] === 'settled') as Array<[string, number, boolean, unknown]>;
    expect(settled[0][3]).toEqual(new Float64Array([1, 2, 3, 4]));
    expect(settled[1][3]).toEqual([1, 2, 'x', 4]);
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

describe('the reconcile sweep', () => {
  it('looks at a bounded slice of the pending jobs per round, all of them over the rounds', () => {
    const book = new SubmissionBook();
    const chunks = Array.from({ length: 25 }, (_, i) => ({ jobId: `j${i}`, offset: i, size: 1 }));
    book.add(new Submission({ id: 1, flag: 0, kernel: 'k', kind: 'map', total: 25, chunks, stream: false, progress: false, reply: 'r', secret: 's' }));
    for (const { jobId } of chunks) book.markAdded(jobId);
    const seen = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const slice = book.nextSlice(10);
      expect(slice.length).toBeLessThanOrEqual(10);
      for (const id of slice) seen.add(id);
    }
    expect(seen.size).toBe(25);
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
