import { describe, expected } from '../validate.js';
import { reportCallbackError } from './callback-errors.js';

/** What every map form accepts as `items`; a string is refused (mapping it would run once per character). */
function checkIterable(items: unknown): Iterable<unknown> {
  if (typeof items === 'string') {
    throw new TypeError(
      `${expected('items', 'an iterable of items (an array, a Set, a generator, ...), not a string', items)}; to map over one string, pass [string]`,
    );
  }
  if (items === null || items === undefined || typeof (items as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(expected('items', 'an iterable (an array, a Set, a generator, ...)', items));
  }
  return items as Iterable<unknown>;
}

function checkArgumentList(args: unknown, index: number): void {
  if (!Array.isArray(args)) throw new TypeError(`Expected \`items[${index}]\` to be an array of arguments, got ${describe(args)}`);
}

function iterationError(error: unknown, index: number): TypeError {
  return new TypeError(`Iterating \`items\` threw at item ${index}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** Materialises `items` up front, so a bad or throwing iterable fails the call before anything runs. */
export function collectItems(items: unknown, star: boolean): unknown[] {
  const iterable = checkIterable(items);
  let list: unknown[];
  try {
    list = Array.isArray(iterable) ? iterable : Array.from(iterable);
  } catch (error) {
    throw new TypeError(`Iterating \`items\` threw before the map could start: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  if (star) for (let i = 0; i < list.length; i++) checkArgumentList(list[i], i);
  return list;
}

/**
 * Reads a map's input a few items at a time (the imap family), so an endless generator is consumed only as far
 * as results are wanted. The input is checked at once (a string or a non-iterable throws at the call).
 */
export class ItemReader {
  /** Items read so far: the input index of the next one. */
  count = 0;
  /** The input has no more items (or it threw, or the reader was closed). */
  done = false;
  /** The array's length when the input is an array, else undefined (unknown until the end). */
  readonly length: number | undefined;
  readonly #iterator: Iterator<unknown>;
  readonly #star: boolean;

  constructor(items: unknown, star: boolean) {
    const iterable = checkIterable(items);
    this.#star = star;
    this.length = Array.isArray(iterable) ? iterable.length : undefined;
    try {
      this.#iterator = iterable[Symbol.iterator]();
    } catch (error) {
      throw iterationError(error, 0);
    }
  }

  /** Why reading stopped early: the input threw, or a starmap item is no array (a TypeError naming the item). */
  error: TypeError | undefined;

  /** Up to `max` more items; fewer once the input ends or fails (then `done`, and `error` says why). */
  read(max: number): unknown[] {
    const out: unknown[] = [];
    while (!this.done && out.length < max) {
      let next: IteratorResult<unknown>;
      try {
        next = this.#iterator.next();
      } catch (error) {
        this.done = true;
        this.error = iterationError(error, this.count);
        break;
      }
      if (next.done) {
        this.done = true;
        break;
      }
      if (this.#star && !Array.isArray(next.value)) {
        this.error = new TypeError(`Expected \`items[${this.count}]\` to be an array of arguments, got ${describe(next.value)}`);
        this.close();
        break;
      }
      out.push(next.value);
      this.count++;
    }
    return out;
  }

  /** No more items are wanted: a generator's `finally` runs now (its return()). */
  close(): void {
    if (this.done) return;
    this.done = true;
    try {
      this.#iterator.return?.();
    } catch (error) {
      reportCallbackError(error); // the input's own clean-up failed: surfaced, but the iteration's result stands
    }
  }
}
