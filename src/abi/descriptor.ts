import { DESCRIPTOR_ARGS_F64, DESCRIPTOR_INT32S, DescriptorCell, MAX_INLINE_ARGS, UnitFlag, UnitKind } from './layout.js';
import type { ArenaBlock } from './payload-arena.js';
import type { UnitMessage } from './protocol.js';
import type { DescriptorViews } from './work-ring.js';

/**
 * A unit descriptor in the shared work queue (layout: DescriptorCell in layout.ts), both halves: the main thread
 * writes one (writeDescriptor, with its payload copied into the arena first: fillPayload), a worker reads its
 * copy (readDescriptor). The entry becomes visible to workers only when RingProducer.publish() stores PUSHED
 * after these writes, and a worker copies it out under LOCK before TAKEN moves past it (RingConsumer.take),
 * so neither half needs atomics of its own.
 */

/** What the writer reads of a unit (the scheduler's Unit has these). */
export interface DescribedUnit {
  readonly id: number;
  readonly job: { readonly slot: number };
  readonly work: unknown[] | Float64Array;
  readonly isApply: boolean;
  readonly star: boolean;
  readonly timeout: number | undefined;
  /** Its payload serialized for the arena (arguments or items that are not inline numbers). */
  readonly encoded: Uint8Array | 'by-message' | undefined;
}

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
export function kindOf(unit: DescribedUnit): number {
  if (unit.isApply) return unit.encoded ? UnitKind.APPLY_PAYLOAD : UnitKind.APPLY_INLINE;
  return unit.encoded ? UnitKind.CHUNK_PAYLOAD : UnitKind.CHUNK_NUMBERS;
}

/**
 * Writes `unit` into the descriptor at Int32 index `entry`. `block` holds its payload (already copied in) for
 * the kinds that have one.
 */
export function writeDescriptor(views: DescriptorViews, entry: number, unit: DescribedUnit, kernel: number, block: ArenaBlock | undefined): void {
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
export function payloadBytes(unit: DescribedUnit): number {
  if (unit.encoded instanceof Uint8Array) return unit.encoded.byteLength;
  if (unit.isApply) return 0;
  return (unit.work as Float64Array).byteLength;
}

/** Copies a unit's payload into its arena block. */
export function fillPayload(target: Uint8Array, unit: DescribedUnit): void {
  if (unit.encoded instanceof Uint8Array) target.set(unit.encoded);
  else {
    const items = unit.work as Float64Array;
    target.set(new Uint8Array(items.buffer, items.byteOffset, items.byteLength));
  }
}

// ---- the reader's half (a worker) --------------------------------------------------------------------------

/** One descriptor copied out of the ring (RingConsumer.take fills `i32`), with the views its arguments are read through. */
export class DescriptorScratch {
  readonly i32 = new Int32Array(DESCRIPTOR_INT32S);
  readonly f64 = new Float64Array(this.i32.buffer);
  readonly i64 = new BigInt64Array(this.i32.buffer);
}

/** The UnitKind of a descriptor copy. */
export function descriptorKind(d: Int32Array): number {
  return d[DescriptorCell.KIND] & 0xff;
}

/** Whether the reader knows the kernel name and the arena page a descriptor names (the catalog can lag a descriptor). */
export function canReadDescriptor(d: Int32Array, kernelNames: readonly string[], arenaPages: ReadonlyMap<number, unknown>): boolean {
  if (kernelNames[d[DescriptorCell.KERNEL]] === undefined) return false;
  return descriptorKind(d) === UnitKind.APPLY_INLINE || arenaPages.has(d[DescriptorCell.PAYLOAD_PAGE]);
}

/**
 * Builds the unit a descriptor copy describes (see canReadDescriptor). A numeric chunk's items are a view of its
 * arena block, so results can be written over them; serialized payloads are decoded with `deserialize`.
 */
export function readDescriptor(
  scratch: DescriptorScratch,
  kernelNames: readonly string[],
  arenaPages: ReadonlyMap<number, SharedArrayBuffer>,
  deserialize: ((bytes: Uint8Array) => unknown) | undefined,
): UnitMessage {
  const d = scratch.i32;
  const kindBits = d[DescriptorCell.KIND];
  const kind = kindBits & 0xff;
  const count = d[DescriptorCell.COUNT];
  const unit: UnitMessage = {
    id: d[DescriptorCell.ID],
    slot: d[DescriptorCell.SLOT],
    kernel: '',
    args: undefined,
    items: undefined,
    star: (kindBits & UnitFlag.STAR) !== 0 || undefined,
    timed: (kindBits & UnitFlag.TIMED) !== 0 || undefined,
  };
  unit.kernel = kernelNames[d[DescriptorCell.KERNEL]];
  if (kind === UnitKind.APPLY_INLINE) {
    const args = new Array<unknown>(count);
    const bigints = d[DescriptorCell.BIGINTS];
    for (let i = 0; i < count; i++) args[i] = (bigints >>> i) & 1 ? scratch.i64[DESCRIPTOR_ARGS_F64 + i] : scratch.f64[DESCRIPTOR_ARGS_F64 + i];
    unit.args = args;
    return unit;
  }
  const page = arenaPages.get(d[DescriptorCell.PAYLOAD_PAGE])!;
  const offset = d[DescriptorCell.PAYLOAD_OFFSET];
  if (kind === UnitKind.CHUNK_NUMBERS) {
    unit.items = new Float64Array(page, offset, count);
    return unit;
  }
  const decoded = deserialize!(new Uint8Array(page, offset, d[DescriptorCell.PAYLOAD_BYTES]));
  if (kind === UnitKind.APPLY_PAYLOAD) unit.args = decoded as unknown[];
  else unit.items = decoded as unknown[];
  return unit;
}
