import { describe, expect, it } from 'vitest';
import { ResultState } from '../../src/result-state.js';

describe('ResultState', () => {
  it('settles once: the first outcome wins, a second settle changes nothing and says so', () => {
    const state = new ResultState<number>();
    expect(state.pending).toBe(true);
    expect(state.settle(true, 1)).toBe(true);
    expect(state.settle(false, new Error('late'))).toBe(false);
    expect(state.settle(true, 2)).toBe(false);
    expect([state.pending, state.fulfilled, state.value, state.error]).toEqual([false, true, 1, undefined]);
  });

  it('keeps a rejection and its error', () => {
    const state = new ResultState();
    const error = new Error('bad');
    state.settle(false, error);
    expect([state.fulfilled, state.error, state.value]).toEqual([false, error, undefined]);
  });

  it('calls each listener once when it settles, at once if already settled, and not after unsubscribing', () => {
    const state = new ResultState();
    const calls: string[] = [];
    state.onSettled(() => calls.push('a'));
    const unsubscribe = state.onSettled(() => calls.push('b'));
    state.onSettled(() => calls.push('c'));
    unsubscribe();
    unsubscribe(); // twice is harmless
    state.settle(true, 0);
    state.settle(true, 1);
    expect(calls).toEqual(['a', 'c']);
    state.onSettled(() => calls.push('late'));
    expect(calls).toEqual(['a', 'c', 'late']);
  });
});
