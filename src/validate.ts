/**
 * One message template for every bad input, so users learn one shape:
 *   Expected `workers` to be a positive integer, got -1
 */

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return String(value);
}

export function expected(name: string, allowed: string, value: unknown): string {
  return `Expected \`${name}\` to be ${allowed}, got ${describe(value)}`;
}

export function checkPositiveInteger(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(expected(name, 'a positive integer', value));
  if (value < 1 || value > max) throw new RangeError(expected(name, `a positive integer no larger than ${max}`, value));
  return value;
}

/** Milliseconds: finite, >= 0. `-0` counts as 0. */
export function checkMilliseconds(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(expected(name, 'a number of milliseconds', value));
  if (value < 0 || !Number.isFinite(value)) throw new RangeError(expected(name, 'a finite number of milliseconds >= 0', value));
  return value === 0 ? 0 : value;
}

export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(expected(name, 'a function', value));
}

export function checkKernelName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(expected('kernel', 'the name of an export of the task module (a non-empty string)', value));
  return value;
}

/** Rejects misspelt options loudly instead of ignoring them. */
export function checkKnownKeys(what: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`Unknown option \`${key}\` in ${what}; allowed: ${allowed.map((k) => `\`${k}\``).join(', ')}`);
  }
}

/** What an omitted options object reads as (shared: the hot path of a million submissions allocates nothing for it). */
const NO_OPTIONS = Object.freeze({});

export function checkOptionsObject(name: string, value: unknown): object {
  if (value === undefined) return NO_OPTIONS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(expected(name, 'an options object', value));
  return value;
}
