import { DESCRIPTOR_ARGS_F64, DescriptorCell, MAX_INLINE_ARGS, UnitFlag, UnitKind } from '../abi/layout.js';
import type { ArenaBlock } from '../abi/payload-arena.js';
import type { DescriptorViews } from '../abi/work-ring.js';
import type { Unit } from './jobs.js';

/** Whether an argument list travels inside the descriptor itself: at most MAX_INLINE_ARGS numbers or bigints. */
export function isInline(args: readonly unknown[]): boolean {
  if (args.length > MAX_INLINE_ARGS) return false;
  for (let i = 0; i < args.length; i++) {
    const type = typeof args[i];
    if (type !== 'number' && type !== 'bigint') return false;
  }
  return true;
}

/** The kind of descriptor a unit becomes (see UnitKind). */
export function kindOf(unit: Unit): number {
  if (unit.isApply) return unit.encoded ? UnitKind.APPLY_PAYLOAD : UnitKind.APPLY_INLINE;
  return unit.encoded ? UnitKind.CHUNK_PAYLOAD : UnitKind.CHUNK_NUMBERS;
}

/**
 * Writes `unit` into the descriptor at Int32 index `entry`. `block` holds its payload (already copied in) for
 * the kinds that have one.
 */
export function writeDescriptor(views: DescriptorViews, entry: number, unit: Unit, kernel: number, block: ArenaBlock | undefined): void {
  const i32 = views.i32;
  const kind = kindOf(unit);
  i32[entry + DescriptorCell.ID] = unit.id;
  i32[entry + DescriptorCell.SLOT] = unit.job.slot;
  i32[entry + DescriptorCell.KERNEL] = kernel;
  i32[entry + DescriptorCell.KIND] = kind | (unit.timeout !== undefined ? UnitFlag.TIMED : 0) | (unit.star ? UnitFlag.STAR : 0);
  i32[entry + DescriptorCell.COUNT] = unit.work.length;
  if (kind === UnitKind.APPLY_INLINE) {
    const args = unit.work as unknown[];
    const base = entry / 2 + DESCRIPTOR_ARGS_F64;
    let bigints = 0;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (typeof arg === 'bigint') {
        views.i64[base + i] = arg;
        bigints |= 1 << i;
      } else {
        views.f64[base + i] = arg as number;
      }
    }
    i32[entry + DescriptorCell.BIGINTS] = bigints;
    return;
  }
  i32[entry + DescriptorCell.PAYLOAD_PAGE] = block!.page;
  i32[entry + DescriptorCell.PAYLOAD_OFFSET] = block!.offset;
  i32[entry + DescriptorCell.PAYLOAD_BYTES] = block!.bytes;
}

/** The bytes a unit's payload needs in the arena (0 for inline applies). */
export function payloadBytes(unit: Unit): number {
  if (unit.encoded instanceof Uint8Array) return unit.encoded.byteLength;
  if (unit.isApply) return 0;
  return (unit.work as Float64Array).byteLength;
}

/** Copies a unit's payload into its arena block. */
export function fillPayload(target: Uint8Array, unit: Unit): void {
  if (unit.encoded instanceof Uint8Array) target.set(unit.encoded);
  else {
    const items = unit.work as Float64Array;
    target.set(new Uint8Array(items.buffer, items.byteOffset, items.byteLength));
  }
}
