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
    let name: unknown;
    try {
      name = (value as object).constructor?.name;
    } catch {
      return 'an object'; // a getter or Proxy trap that throws: the message about the value still gets made
    }
    return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'an object';
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

/** setTimeout's limit (2^31 - 1 ms, about 24.8 days): a longer delay fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A time a timer waits for: checkMilliseconds, and at most MAX_TIMER_MS (a longer one would fire at once). */
export function checkTimerMilliseconds(name: string, value: unknown): number {
  const ms = checkMilliseconds(name, value);
  if (ms > MAX_TIMER_MS) throw new RangeError(expected(name, `at most ${MAX_TIMER_MS} ms`, value));
  return ms;
}

/** The error for a property or element whose read threw (a getter, a Proxy trap): it names what was read. */
export function unreadable(what: string, error: unknown): TypeError {
  return new TypeError(`Could not read ${what}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
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
  for (const key of Object.keys(options)) if (!allowed.includes(key)) throw unknownOption(what, key, allowed);
}

function unknownOption(what: string, key: string, allowed: readonly string[]): TypeError {
  return new TypeError(`Unknown option \`${key}\` in ${what}; allowed: ${allowed.map((k) => `\`${k}\``).join(', ')}`);
}

/** What an omitted options object reads as (shared: the hot path of a million submissions allocates nothing for it). */
const NO_OPTIONS = Object.freeze({});

export function checkOptionsObject(name: string, value: unknown): object {
  if (value === undefined) return NO_OPTIONS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(expected(name, 'an options object', value));
  return value;
}

/**
 * An options object checked (an object, no unknown keys) and copied: each allowed key is read once, here, so a
 * getter or Proxy trap that throws is reported naming the option (``Could not read `options.timeout`: ...``)
 * before anything is dispatched, and what was validated is what is used (a getter cannot change its answer
 * later). Keys left undefined are not copied. An omitted object reads as a shared empty one.
 */
export function readOptions<T extends object>(name: string, value: unknown, what: string, allowed: readonly string[]): T {
  const options = checkOptionsObject(name, value) as Record<string, unknown>;
  if (options === NO_OPTIONS) return options as T;
  let keys: string[];
  try {
    keys = Object.keys(options);
  } catch (error) {
    throw unreadable(`the keys of \`${name}\``, error);
  }
  for (const key of keys) if (!allowed.includes(key)) throw unknownOption(what, key, allowed);
  const copy: Record<string, unknown> = {};
  for (const key of allowed) {
    let option: unknown;
    try {
      option = options[key];
    } catch (error) {
      throw unreadable(`\`${name}.${key}\``, error);
    }
    if (option !== undefined) copy[key] = option;
  }
  return copy as T;
}

/**
 * Rethrows `error` (thrown while an argument list was being lowered or encoded) as the read that caused it, when
 * an element of `list` cannot be read (a getter or Proxy trap that throws): ``Could not read `args[1]`: ...``.
 * With `star`, each element is itself an argument list, read the same way (`items[3][1]`); `first` is the input
 * index of `list[0]` (a lazy map's later batch). Costs nothing unless something threw; any other error is
 * rethrown as it is.
 */
export function explainUnreadable(error: unknown, name: string, list: unknown, star = false, first = 0): never {
  const read = (value: unknown, where: string | undefined, depth: number): void => {
    if (!Array.isArray(value)) return;
    let length: number;
    try {
      length = value.length;
    } catch (lengthError) {
      throw unreadable(`\`${where ?? name}.length\``, lengthError);
    }
    for (let i = 0; i < length; i++) {
      const at = where === undefined ? `${name}[${first + i}]` : `${where}[${i}]`;
      let element: unknown;
      try {
        element = value[i];
      } catch (readError) {
        throw unreadable(`\`${at}\``, readError);
      }
      if (depth > 0) read(element, at, depth - 1);
    }
  };
  read(list, undefined, star ? 1 : 0);
  throw error;
}
