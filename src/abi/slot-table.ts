import { allocateFlagBuffer } from './shared-buffer.js';
import { SLOTS_PER_PAGE, SLOT_INDEX_MASK, SLOT_PAGE_BYTES, SLOT_PAGE_SHIFT, SlotState, viewSlotPage, type SlotPageViews } from './layout.js';

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
    Atomics.sub(this.views[slot >>> SLOT_PAGE_SHIFT].remaining, slot & SLOT_INDEX_MASK, 1);
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
