import { allocateFlagBuffer } from './shared-buffer.js';
import { SLOTS_PER_PAGE, SLOT_INDEX_MASK, SLOT_PAGE_BYTES, SLOT_PAGE_SHIFT, SlotState, viewSlotPage, type SlotPageViews } from './layout.js';

/**
 * The completion-slot protocol, both halves (the layout is in layout.ts: `remaining`, `state`, `value`).
 *
 * A worker finishing a unit writes its value first (an apply's number into `value` then `state` NUMBER; a
 * numeric chunk over its arena items; anything else posted by message, then an apply's `state` MESSAGE), and
 * only then counts it down (`remaining` - 1). Every store before the Atomics.sub is visible to a thread that
 * reads `remaining` with Atomics.load, so a reader that sees 0 always finds the value. Only workers count down
 * while a result is pending (the main thread settles crashed or cancelled units without touching `remaining`,
 * and squares the count when the slot is released), so the count reaches 0 exactly once, never early.
 *
 * An apply's `state` is also where the main thread and a worker race for it: the worker claims it
 * (PENDING → RUNNING) before running the kernel, the main thread cancels it (PENDING → CANCELLED); each is a
 * compareExchange, so exactly one wins, and a worker that loses skips the unit.
 *
 * Worker half: claimSlot, writeNumber, markMessage, countDown (src/worker/runtime.ts, test/unit/fake-transport.ts).
 * Main half: SlotTable (allocate, isReady, state, numberValue, tryCancel, release).
 */

/** Worker: claims an apply's slot before running it (PENDING → RUNNING); false if the main thread cancelled it first (skip the unit). */
export function claimSlot(page: SlotPageViews, index: number): boolean {
  return Atomics.compareExchange(page.state, index, SlotState.PENDING, SlotState.RUNNING) === SlotState.PENDING;
}

/** Worker: an apply's numeric value, then `state` NUMBER (the store publishes the value to a reader of `state`). */
export function writeNumber(page: SlotPageViews, index: number, value: number): void {
  page.value[index] = value;
  Atomics.store(page.state, index, SlotState.NUMBER);
}

/** Worker: an apply's value (or error) was posted by message: `state` MESSAGE. */
export function markMessage(page: SlotPageViews, index: number): void {
  Atomics.store(page.state, index, SlotState.MESSAGE);
}

/** Worker, once the unit's value is written (slot, arena or message): counts it down. A reader that then sees 0 finds the value. */
export function countDown(page: SlotPageViews, index: number): void {
  Atomics.sub(page.remaining, index, 1);
}

/**
 * Main-thread owner of the completion slots. Grows by whole pages rather than
 * failing when every slot is in use, so any number of results can be in
 * flight; a freed slot is reused first to keep the footprint flat.
 */
export class SlotTable {
  readonly pages: SharedArrayBuffer[] = [];
  private readonly views: SlotPageViews[] = [];
  private readonly free: number[] = [];
  /** Released slots a worker may still be counting down (it posts the value before the decrement). */
  private draining: number[] = [];
  private used = 0;

  /** `onPage` is told of every new page, so workers can be sent it before a unit names one of its slots. */
  constructor(private readonly onPage: (buffer: SharedArrayBuffer, index: number) => void = () => {}) {}

  /** Takes a slot whose result needs `units` completions before it is ready. */
  allocate(units: number): number {
    if (this.free.length === 0 && this.draining.length > 0) this.sweep();
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.pages.length * SLOTS_PER_PAGE) this.addPage();
      slot = this.used++;
    }
    const page = this.views[slot >>> SLOT_PAGE_SHIFT];
    const index = slot & SLOT_INDEX_MASK;
    Atomics.store(page.state, index, SlotState.PENDING);
    Atomics.store(page.remaining, index, units);
    return slot;
  }

  /**
   * Gives a settled result's slot back. `uncounted` units were settled by the main thread without any worker
   * counting them down (only workers count down while a result is pending): they come off the count now. The
   * main thread may read a worker's message before that worker's final Atomics.sub lands; reusing the slot
   * then would let the late decrement mark the next task ready. So a slot is reused only once its count has
   * come down to zero (or below: a worker that died right after counting a chunk down was counted here too).
   */
  release(slot: number, uncounted = 0): void {
    if (uncounted > 0) Atomics.sub(this.views[slot >>> SLOT_PAGE_SHIFT].remaining, slot & SLOT_INDEX_MASK, uncounted);
    if (this.drained(slot)) this.free.push(slot);
    else this.draining.push(slot);
  }

  private drained(slot: number): boolean {
    return Atomics.load(this.views[slot >>> SLOT_PAGE_SHIFT].remaining, slot & SLOT_INDEX_MASK) <= 0;
  }

  private sweep(): void {
    const still: number[] = [];
    for (const slot of this.draining) (this.drained(slot) ? this.free : still).push(slot);
    this.draining = still;
  }

  /** Slots currently held by unsettled results (for leak checks); released slots whose count has reached zero are not counted. */
  get inUse(): number {
    if (this.draining.length > 0) this.sweep();
    return this.used - this.free.length;
  }

  get byteLength(): number {
    return this.pages.length * SLOT_PAGE_BYTES;
  }

  page(slot: number): SlotPageViews {
    return this.views[slot >>> SLOT_PAGE_SHIFT];
  }

  isReady(slot: number): boolean {
    return Atomics.load(this.views[slot >>> SLOT_PAGE_SHIFT].remaining, slot & SLOT_INDEX_MASK) === 0;
  }

  /** Counts one unit down on a worker's behalf: only where the worker's page is a copy (no shared memory). */
  completeUnit(slot: number): void {
    countDown(this.views[slot >>> SLOT_PAGE_SHIFT], slot & SLOT_INDEX_MASK);
  }

  /** Wins the slot from the workers if none has claimed it yet. */
  tryCancel(slot: number): boolean {
    const index = slot & SLOT_INDEX_MASK;
    const state = this.views[slot >>> SLOT_PAGE_SHIFT].state;
    return Atomics.compareExchange(state, index, SlotState.PENDING, SlotState.CANCELLED) === SlotState.PENDING;
  }

  state(slot: number): number {
    return Atomics.load(this.views[slot >>> SLOT_PAGE_SHIFT].state, slot & SLOT_INDEX_MASK);
  }

  numberValue(slot: number): number {
    return this.views[slot >>> SLOT_PAGE_SHIFT].value[slot & SLOT_INDEX_MASK];
  }

  private addPage(): void {
    const buffer = allocateFlagBuffer(SLOT_PAGE_BYTES);
    this.pages.push(buffer);
    this.views.push(viewSlotPage(buffer));
    this.onPage(buffer, this.pages.length - 1);
  }
}
