/** Argument checks of pool.ops: each throws TypeError/RangeError naming the argument, before anything is queued. */
import { checkKnownKeys, checkOptionsObject, describe, expected } from '../validate.js';
import type { Complex, OutOptions } from './ops.js';
import type { FloatArray } from './reference.js';

export function suffix(x: FloatArray): 'F32' | 'F64' {
  return x instanceof Float32Array ? 'F32' : 'F64';
}

export function checkFloatArray(name: string, value: unknown): FloatArray {
  if (!(value instanceof Float32Array) && !(value instanceof Float64Array)) throw new TypeError(expected(name, 'a Float32Array or Float64Array', value));
  return value;
}

export function checkNonEmpty(name: string, x: FloatArray, what: string): void {
  if (x.length === 0)
    throw new RangeError(`Expected \`${name}\` to hold at least one element (${what} of no elements is undefined), got an empty ${x.constructor.name}`);
}

/** A matrix dimension: an integer >= 0 whose products with the others stay addressable. */
export function checkDimension(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(expected(name, 'an integer >= 0', value));
  if (value < 0 || value > 2 ** 31 - 1) throw new RangeError(expected(name, 'an integer from 0 to 2^31 - 1', value));
  return value;
}

export function checkNumber(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(expected(name, 'a number', value));
  return value;
}

/** `options.out` of an elementwise map or cumsum: the type and length of `like`; an input itself, or apart from each. */
export function checkOut<A extends FloatArray>(options: unknown, like: A, what: string, inputs: readonly FloatArray[] = [like]): A | undefined {
  const valid = checkOptionsObject('options', options) as OutOptions<A>;
  checkKnownKeys(`${what} options`, valid, ['out']);
  const out = valid.out;
  if (out === undefined) return undefined;
  if (out.constructor !== like.constructor) throw new TypeError(expected('out', `a ${like.constructor.name} (the type of the input)`, out));
  if (out.length !== like.length) throw new RangeError(`Expected \`out\` to hold ${like.length} elements (the input's length), got ${out.length}`);
  for (const input of inputs) {
    const same = out.buffer === input.buffer && out.byteOffset === input.byteOffset;
    if (!same) checkApart('out', out, [input], 'it may be an input itself, element for element, but not overlap one shifted');
  }
  return out;
}

/** `out` of fft/rfft: `{ re, im }` of the input's type, `length` each, not an input. */
export function checkComplexOut<A extends FloatArray>(out: unknown, like: A, length: number, inputs: Array<A | undefined>): Complex<A> | undefined {
  if (out === undefined) return undefined;
  if (typeof out !== 'object' || out === null) throw new TypeError(expected('out', 'an object { re, im }', out));
  const parts = out as Complex<A>;
  for (const key of ['re', 'im'] as const) {
    const part = parts[key];
    if (!(part instanceof like.constructor)) throw new TypeError(expected(`out.${key}`, `a ${like.constructor.name} (the type of the input)`, part));
    if (part.length !== length) throw new RangeError(`Expected \`out.${key}\` to hold ${length} elements, got ${part.length}`);
    checkApart(`out.${key}`, part, inputs, 'the transform is not in place');
  }
  if (parts.re === parts.im) throw new RangeError('Expected `out.re` and `out.im` to be two different arrays');
  return parts;
}

export function sameKind(nameA: string, a: FloatArray, nameB: string, b: FloatArray): void {
  if (a.constructor !== b.constructor) throw new TypeError(`Expected \`${nameB}\` to be a ${a.constructor.name} like \`${nameA}\`, got ${describe(b)}`);
}

/** Whether two views share any byte of one buffer. */
function overlap(x: FloatArray, y: FloatArray): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

/** `out` of an operation that reads its inputs while it writes: it must share no element with them. */
export function checkApart(name: string, out: FloatArray, inputs: ReadonlyArray<FloatArray | undefined>, why: string): void {
  if (inputs.some((input) => input !== undefined && overlap(out, input))) {
    throw new RangeError(`Expected \`${name}\` to share no element with the inputs (${why})`);
  }
}
