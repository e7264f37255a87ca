import { describe, expect, it } from 'vitest';
import { SLOTS_PER_PAGE, SlotState, viewSlotPage } from '../../src/abi/layout.js';
import { SlotTable } from '../../src/abi/slot-table.js';

/** What a worker does to a slot when it finishes a unit: value, state, then the countdown. */
function finishNumber(table: SlotTable, slot: number, value: number): void {
  const page = table.page(slot);
  const index = slot % SLOTS_PER_PAGE;
  page.value[index] = value;
  Atomics.store(page.state, index, SlotState.NUMBER);
  Atomics.sub(page.remaining, index, 1);
}

describe('SlotTable', () => {
  it('allocates a PENDING slot that is ready once its units have all counted down', () => {
    const table = new SlotTable();
    const slot = table.allocate(3);
    expect(table.state(slot)).toBe(SlotState.PENDING);
    expect(table.isReady(slot)).toBe(false);
    table.completeUnit(slot);
    table.completeUnit(slot);
    expect(table.isReady(slot)).toBe(false);
    table.completeUnit(slot);
    expect(table.isReady(slot)).toBe(true);
  });

  it('reads the number a worker wrote', () => {
    const table = new SlotTable();
    const slot = table.allocate(1);
    finishNumber(table, slot, 2.5);
    expect(table.state(slot)).toBe(SlotState.NUMBER);
    expect(table.numberValue(slot)).toBe(2.5);
  });

  it('reuses a released slot first, reset to PENDING with its new count', () => {
    const table = new SlotTable();
    const a = table.allocate(1);
    table.allocate(1);
    finishNumber(table, a, 1);
    table.release(a);
    const again = table.allocate(2);
    expect(again).toBe(a);
    expect(table.state(again)).toBe(SlotState.PENDING);
    expect(table.isReady(again)).toBe(false);
    expect(table.inUse).toBe(2);
  });

  it('keeps a released slot out of reuse while a worker has still to count it down (draining), then sweeps it back', () => {
    const table = new SlotTable();
    const slot = table.allocate(1);
    // The main thread read the value by message before the worker's decrement landed.
    table.release(slot);
    expect(table.inUse).toBe(1);
    const other = table.allocate(1);
    expect(other).not.toBe(slot); // reusing it now would let the late decrement mark the new result ready
    Atomics.sub(table.page(slot).remaining, slot % SLOTS_PER_PAGE, 1); // the late decrement
    expect(table.inUse).toBe(1); // swept: only `other` is held
    expect(table.allocate(1)).toBe(slot);
  });

  it('tryCancel wins a PENDING slot once, and loses to a worker that claimed it', () => {
    const table = new SlotTable();
    const slot = table.allocate(1);
    expect(table.tryCancel(slot)).toBe(true);
    expect(table.state(slot)).toBe(SlotState.CANCELLED);
    expect(table.tryCancel(slot)).toBe(false);
    const claimed = table.allocate(1);
    const page = table.page(claimed);
    expect(Atomics.compareExchange(page.state, claimed % SLOTS_PER_PAGE, SlotState.PENDING, SlotState.RUNNING)).toBe(SlotState.PENDING);
    expect(table.tryCancel(claimed)).toBe(false);
    expect(table.state(claimed)).toBe(SlotState.RUNNING);
  });

  it('grows by whole pages, tells the observer of each before a slot on it is handed out, and never moves a slot', () => {
    const announced: Array<[SharedArrayBuffer, number]> = [];
    const table = new SlotTable((buffer, index) => announced.push([buffer, index]));
    const first = table.allocate(1);
    expect(announced).toHaveLength(1);
    const slots = [first];
    for (let i = 1; i < SLOTS_PER_PAGE; i++) slots.push(table.allocate(1));
    expect(announced).toHaveLength(1);
    const next = table.allocate(1);
    expect(next).toBe(SLOTS_PER_PAGE);
    expect(announced.map(([, index]) => index)).toEqual([0, 1]);
    expect(table.pages).toEqual(announced.map(([buffer]) => buffer));
    expect(table.byteLength).toBe(2 * announced[0][0].byteLength);
    // A worker's own view of the announced page sees what the table writes.
    const workerView = viewSlotPage(announced[1][0]);
    finishNumber(table, next, 7);
    expect(workerView.value[0]).toBe(7);
    expect(workerView.remaining[0]).toBe(0);
    expect(new Set(slots).size).toBe(SLOTS_PER_PAGE);
  });

  it('counts nothing in use once every slot is back', () => {
    const table = new SlotTable();
    const slots = Array.from({ length: 10 }, () => table.allocate(1));
    for (const slot of slots) {
      finishNumber(table, slot, 0);
      table.release(slot);
    }
    expect(table.inUse).toBe(0);
  });
});
