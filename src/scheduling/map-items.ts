import { describe, expected } from '../validate.js';

/** Materialises `items` up front, so a bad or throwing iterable fails the call before anything runs. */
export function collectItems(items: unknown, star: boolean): unknown[] {
  if (items === null || items === undefined || typeof (items as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(expected('items', 'an iterable (an array, a Set, a generator, ...)', items));
  }
  let list: unknown[];
  try {
    list = Array.isArray(items) ? items : Array.from(items as Iterable<unknown>);
  } catch (error) {
    throw new TypeError(`Iterating \`items\` threw before the map could start: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  if (star) {
    for (let i = 0; i < list.length; i++) {
      const args = list[i];
      if (!Array.isArray(args)) throw new TypeError(`Expected \`items[${i}]\` to be an array of arguments, got ${describe(args)}`);
    }
  }
  return list;
}
