import { describe, expect, it } from 'vitest';
import { CONTROL_BYTES, DESCRIPTOR_ARGS_F64, DescriptorCell, MAX_INLINE_ARGS, UnitFlag, UnitKind } from '../../src/abi/layout.js';
import { allocateRingBuffers, DescriptorViews } from '../../src/abi/work-ring.js';
import { fillPayload, isInline, kindOf, payloadBytes, writeDescriptor } from '../../src/scheduling/descriptor.js';
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
