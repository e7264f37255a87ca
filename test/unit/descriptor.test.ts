import { describe, expect, it } from 'vitest';
import { deserialize, serialize } from 'node:v8';
import { CONTROL_BYTES, DESCRIPTOR_ARGS_F64, DESCRIPTOR_INT32S, DescriptorCell, MAX_INLINE_ARGS, UnitFlag, UnitKind } from '../../src/abi/layout.js';
import { allocateRingBuffers, DescriptorViews } from '../../src/abi/work-ring.js';
import {
  DescriptorScratch,
  canReadDescriptor,
  descriptorKind,
  fillPayload,
  isInline,
  kindOf,
  payloadBytes,
  readDescriptor,
  writeDescriptor,
} from '../../src/abi/descriptor.js';
import { PayloadArena } from '../../src/abi/payload-arena.js';
import { ApplyJob, MapJob, Unit } from '../../src/scheduling/jobs.js';

const views = new DescriptorViews(allocateRingBuffers(new SharedArrayBuffer(CONTROL_BYTES)));

function applyUnit(args: unknown[], options: { timeout?: number; encoded?: Uint8Array } = {}): Unit {
  return new Unit(11, new ApplyJob(5, 'k', undefined, undefined, undefined), args, -1, false, options.timeout, options.encoded, 0);
}

function chunkUnit(items: unknown[] | Float64Array, star = false, encoded?: Uint8Array): Unit {
  return new Unit(12, new MapJob(6, 'k', undefined, items.length, items.length, {}), items, 0, star, undefined, encoded, 0);
}

describe('isInline', () => {
  it('takes up to MAX_INLINE_ARGS numbers or bigints, nothing else', () => {
    expect(isInline([])).toBe(true);
    expect(isInline([1, 2n, -0, NaN, Infinity])).toBe(true);
    expect(isInline(new Array<number>(MAX_INLINE_ARGS).fill(1))).toBe(true);
    expect(isInline(new Array<number>(MAX_INLINE_ARGS + 1).fill(1))).toBe(false);
    expect(isInline([1, '2'])).toBe(false);
    expect(isInline([new Float64Array(1)])).toBe(false);
    expect(isInline([undefined])).toBe(false);
  });
});

describe('writeDescriptor', () => {
  it('writes an inline apply: header, f64 arguments, bigints as i64 with their mask bit', () => {
    const entry = 3 * 32;
    writeDescriptor(views, entry, applyUnit([1.5, 2n ** 40n, -3, -(2n ** 62n)], { timeout: 10 }), 4, undefined);
    const i32 = views.i32;
    expect(i32[entry + DescriptorCell.ID]).toBe(11);
    expect(i32[entry + DescriptorCell.SLOT]).toBe(5);
    expect(i32[entry + DescriptorCell.KERNEL]).toBe(4);
    expect(i32[entry + DescriptorCell.KIND]).toBe(UnitKind.APPLY_INLINE | UnitFlag.TIMED);
    expect(i32[entry + DescriptorCell.COUNT]).toBe(4);
    expect(i32[entry + DescriptorCell.BIGINTS]).toBe(0b1010);
    const base = entry / 2 + DESCRIPTOR_ARGS_F64;
    expect(views.f64[base]).toBe(1.5);
    expect(views.i64[base + 1]).toBe(2n ** 40n);
    expect(views.f64[base + 2]).toBe(-3);
    expect(views.i64[base + 3]).toBe(-(2n ** 62n));
  });

  it('points a payload unit at its arena block, with the STAR flag for a starmap chunk', () => {
    const entry = 0;
    const encoded = new Uint8Array([1, 2, 3]);
    const unit = chunkUnit([[1, 2]], true, encoded);
    writeDescriptor(views, entry, unit, 0, { page: 2, offset: 64, bytes: 3 });
    const i32 = views.i32;
    expect(i32[entry + DescriptorCell.KIND]).toBe(UnitKind.CHUNK_PAYLOAD | UnitFlag.STAR);
    expect(i32[entry + DescriptorCell.COUNT]).toBe(1);
    expect([i32[entry + DescriptorCell.PAYLOAD_PAGE], i32[entry + DescriptorCell.PAYLOAD_OFFSET], i32[entry + DescriptorCell.PAYLOAD_BYTES]]).toEqual([
      2, 64, 3,
    ]);
  });
});

describe('kindOf, payloadBytes, fillPayload', () => {
  it('inline apply: no payload', () => {
    const unit = applyUnit([1, 2]);
    expect(kindOf(unit)).toBe(UnitKind.APPLY_INLINE);
    expect(payloadBytes(unit)).toBe(0);
  });

  it('serialized apply and chunk: the encoded bytes, copied as they are', () => {
    const encoded = new Uint8Array([9, 8, 7, 6, 5]);
    for (const unit of [applyUnit(['x'], { encoded }), chunkUnit(['x'], false, encoded)]) {
      expect(kindOf(unit)).toBe(unit.isApply ? UnitKind.APPLY_PAYLOAD : UnitKind.CHUNK_PAYLOAD);
      expect(payloadBytes(unit)).toBe(5);
      const target = new Uint8Array(5);
      fillPayload(target, unit);
      expect([...target]).toEqual([...encoded]);
    }
  });

  it('numeric chunk: the Float64 items themselves, from a subarray view too', () => {
    const whole = new Float64Array([0, 1.25, -2, 3]);
    const unit = chunkUnit(whole.subarray(1, 3));
    expect(kindOf(unit)).toBe(UnitKind.CHUNK_NUMBERS);
    expect(payloadBytes(unit)).toBe(16);
    const target = new Uint8Array(16);
    fillPayload(target, unit);
    expect([...new Float64Array(target.buffer)]).toEqual([1.25, -2]);
  });
});

describe('readDescriptor: the reader half reads back what the writer wrote', () => {
  const arena = new PayloadArena({ pageAdded: () => {}, pageForgotten: () => {} });
  const kernelNames = ['', 'add', 'sum'];

  /** Writes `unit` as the scheduler does, copies the entry out as RingConsumer.take does, and reads it back. */
  function roundTrip(unit: Unit, kernel: number): { read: ReturnType<typeof readDescriptor>; scratch: DescriptorScratch } {
    let block;
    if (payloadBytes(unit) > 0 || !unit.isApply) {
      block = arena.allocate(payloadBytes(unit));
      fillPayload(arena.view(block), unit);
    }
    const entry = 5 * DESCRIPTOR_INT32S;
    writeDescriptor(views, entry, unit, kernel, block);
    const scratch = new DescriptorScratch();
    scratch.i32.set(views.i32.subarray(entry, entry + DESCRIPTOR_INT32S));
    const pages = new Map(arena.pages());
    expect(canReadDescriptor(scratch.i32, kernelNames, pages)).toBe(true);
    return { read: readDescriptor(scratch, kernelNames, pages, deserialize), scratch };
  }

  it('an inline apply: id, slot, kernel name, numbers and bigints, the TIMED flag', () => {
    const { read, scratch } = roundTrip(applyUnit([1.5, 2n ** 40n, -3], { timeout: 10 }), 1);
    expect(read).toEqual({ id: 11, slot: 5, kernel: 'add', args: [1.5, 2n ** 40n, -3], items: undefined, star: undefined, timed: true });
    expect(descriptorKind(scratch.i32)).toBe(UnitKind.APPLY_INLINE);
  });

  it('a numeric chunk: its items are a view of the arena block (results go over them)', () => {
    const { read, scratch } = roundTrip(chunkUnit(new Float64Array([1, 2, 3])), 2);
    expect(read.items).toBeInstanceOf(Float64Array);
    expect([...(read.items as Float64Array)]).toEqual([1, 2, 3]);
    expect((read.items as Float64Array).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(descriptorKind(scratch.i32)).toBe(UnitKind.CHUNK_NUMBERS);
  });

  it('serialized payloads: an apply and a starmap chunk, decoded', () => {
    const args = ['x', { y: 1 }];
    expect(roundTrip(applyUnit(args, { encoded: serialize(args) }), 1).read.args).toEqual(args);
    const items = [[1, 2], ['a']];
    const chunk = roundTrip(chunkUnit(items, true, serialize(items)), 2).read;
    expect([chunk.items, chunk.star]).toEqual([items, true]);
  });

  it('cannot read a descriptor whose kernel or arena page the catalog has not announced yet', () => {
    const { scratch } = roundTrip(chunkUnit(new Float64Array([1])), 2);
    expect(canReadDescriptor(scratch.i32, ['', 'add'], new Map(arena.pages()))).toBe(false);
    expect(canReadDescriptor(scratch.i32, kernelNames, new Map())).toBe(false);
  });
});
