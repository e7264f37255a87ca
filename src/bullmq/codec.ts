/**
 * Arguments and results cross hosts as JSON (BullMQ stores job data and return values with JSON.stringify).
 * JSON alone turns a Float64Array into {"0":…}, NaN into null and drops undefined, so values are first
 * lowered to a JSON-safe tree in which whatever JSON cannot hold is a tagged object {"$wp": kind, "v": …}.
 * The tree stays readable in a queue dashboard (numbers, strings and plain objects are themselves) and
 * portable across Node versions, unlike v8.serialize.
 *
 * What travels is what structured clone (the local pool's transport) carries, minus what cannot leave a
 * process: typed arrays and ArrayBuffers by value (a SharedArrayBuffer, e.g. a pool.alloc view, is copied),
 * bigint, NaN/±Infinity/-0, undefined, Date, Map, Set, arrays and plain objects. Functions, symbols and cycles
 * throw a TypeError naming the argument, at the call. A bigint travels in hex (linear to decode, where decimal is
 * quadratic: a host must not stall on a hostile payload) and is refused beyond MAX_BIGINT_HEX digits. An own
 * `__proto__` key is kept as a key, never turned into a prototype.
 */

const TAG = '$wp';

/** Hex digits a bigint may have on the wire (4 Mbit): far beyond any kernel's i64, small enough to decode at once. */
export const MAX_BIGINT_HEX = 1 << 20;
const BIGINT_HEX = /^-?0x[0-9a-f]+$/;

/** Sets an own property, `__proto__` included (plain assignment would set the prototype instead). */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function encodeBigint(value: bigint, where: string): Encoded {
  const digits = (value < 0n ? -value : value).toString(16);
  if (digits.length > MAX_BIGINT_HEX) {
    throw new RangeError(`Expected \`${where}\` to hold bigints of at most ${MAX_BIGINT_HEX * 4} bits, got one of about ${digits.length * 4}`);
  }
  return { [TAG]: 'bigint', v: value < 0n ? `-0x${digits}` : `0x${digits}` };
}

function decodeBigint(v: unknown): bigint {
  if (typeof v !== 'string' || v.length - (v.startsWith('-') ? 3 : 2) > MAX_BIGINT_HEX || !BIGINT_HEX.test(v)) {
    throw new TypeError(
      `Cannot decode a bigint: expected a hex string of at most ${MAX_BIGINT_HEX} digits, got ${typeof v === 'string' ? `${v.length} characters` : typeof v}`,
    );
  }
  return v.startsWith('-') ? -BigInt(v.slice(1)) : BigInt(v);
}

type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

const TYPED_ARRAYS: Record<string, TypedArrayConstructor> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/** The JSON-safe form of a value; what a job's data and return value hold. */
export type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

function bytesOf(view: ArrayBufferView | ArrayBuffer | SharedArrayBuffer): string {
  const bytes = ArrayBuffer.isView(view) ? Buffer.from(view.buffer, view.byteOffset, view.byteLength) : Buffer.from(view);
  return bytes.toString('base64');
}

/** A fresh, aligned ArrayBuffer holding the bytes of `base64` (Buffer's own pool may be unaligned). */
function bufferOf(base64: string): ArrayBuffer {
  const bytes = Buffer.from(base64, 'base64');
  const buffer = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

/** Lowers `value` to JSON-safe form; `where` names the argument in the error a value that cannot travel gets. */
export function encode(value: unknown, where = 'value'): Encoded {
  return lower(value, where, new Set());
}

function lower(value: unknown, where: string, path: Set<object>): Encoded {
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { [TAG]: 'number', v: Object.is(value, -0) ? '-0' : String(value) };
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return encodeBigint(value, where);
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'function':
    case 'symbol':
      throw new TypeError(`Expected \`${where}\` to hold only data that can be sent to another host, got a ${typeof value}`);
  }
  if (value === null) return null;
  const object = value as object;
  if (path.has(object)) throw new TypeError(`Expected \`${where}\` to hold no cycles (an object that contains itself cannot be sent to another host)`);
  path.add(object);
  try {
    return lowerObject(object, where, path);
  } finally {
    path.delete(object);
  }
}

function lowerObject(value: object, where: string, path: Set<object>): Encoded {
  const encode = (item: unknown): Encoded => lower(item, where, path);
  if (Array.isArray(value)) {
    const out: Encoded[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = encode(value[i]);
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    const kind = value instanceof DataView ? 'DataView' : value.constructor.name;
    if (kind !== 'DataView' && !(kind in TYPED_ARRAYS)) throw new TypeError(`Expected \`${where}\` to hold standard typed arrays, got a ${kind}`);
    return { [TAG]: kind, v: bytesOf(value) };
  }
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
    return { [TAG]: 'ArrayBuffer', v: bytesOf(value) };
  }
  if (value instanceof Date) return { [TAG]: 'Date', v: value.getTime() };
  if (value instanceof Map) return { [TAG]: 'Map', v: [...value].map(([k, v]) => [encode(k), encode(v)]) };
  if (value instanceof Set) return { [TAG]: 'Set', v: [...value].map((v) => encode(v)) };
  const out: { [key: string]: Encoded } = {};
  for (const key of Object.keys(value)) setOwn(out, key, encode((value as Record<string, unknown>)[key]));
  // A user's own object that happens to have a `$wp` key is wrapped, so decode cannot mistake it for a tag.
  return Object.hasOwn(out, TAG) ? { [TAG]: 'object', v: out } : out;
}

/** Whether every value is a number: such a list (a map's items or results, mostly) travels packed. */
export function isNumberList(values: ArrayLike<unknown>): boolean {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== 'number') return false;
  return true;
}

/**
 * A list of numbers as one tagged base64 Float64Array (NaN, ±Infinity and -0 included, exactly): a tenth of the
 * work of a JSON array of them to stringify, parse and decode. Decodes to a plain array of numbers.
 */
export function encodeNumbers(values: ArrayLike<number>): Encoded {
  const packed = values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>);
  return { [TAG]: 'numbers', v: bytesOf(packed) };
}

/** A list (a map chunk's results): packed when it is numbers only, else element by element. */
export function encodeList(values: readonly unknown[], where: string): Encoded {
  return isNumberList(values) ? encodeNumbers(values as readonly number[]) : encode(values, where);
}

/** A packed list of numbers (encodeNumbers) as the Float64Array it is, without making an array of it; else undefined. */
export function packedNumbers(tree: unknown): Float64Array | undefined {
  const record = tree as Record<string, unknown> | null;
  if (typeof record !== 'object' || record === null || record[TAG] !== 'numbers' || typeof record.v !== 'string') return undefined;
  return new Float64Array(bufferOf(record.v));
}

/** The inverse of encode. */
export function decode(tree: unknown): unknown {
  if (tree === null || typeof tree !== 'object') return tree;
  if (Array.isArray(tree)) {
    const out: unknown[] = new Array(tree.length);
    for (let i = 0; i < tree.length; i++) out[i] = decode(tree[i]);
    return out;
  }
  const record = tree as Record<string, unknown>;
  const kind = record[TAG];
  if (typeof kind !== 'string') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record)) setOwn(out, key, decode(record[key]));
    return out;
  }
  const v = record.v;
  switch (kind) {
    case 'number':
      return v === '-0' ? -0 : Number(v);
    case 'bigint':
      return decodeBigint(v);
    case 'numbers':
      return Array.from(new Float64Array(bufferOf(v as string)));
    case 'undefined':
      return undefined;
    case 'ArrayBuffer':
      return bufferOf(v as string);
    case 'DataView':
      return new DataView(bufferOf(v as string));
    case 'Date':
      return new Date(v as number);
    case 'Map':
      return new Map((v as unknown[][]).map(([k, x]) => [decode(k), decode(x)]));
    case 'Set':
      return new Set((v as unknown[]).map(decode));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, x] of Object.entries(v as Record<string, unknown>)) setOwn(out, key, decode(x));
      return out;
    }
  }
  const Typed = TYPED_ARRAYS[kind];
  if (!Typed) throw new TypeError(`Cannot decode a value tagged ${JSON.stringify(kind)}; the sending host runs a newer wasmpool than this one`);
  return new Typed(bufferOf(v as string));
}
