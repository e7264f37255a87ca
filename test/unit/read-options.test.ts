import { describe, expect, it } from 'vitest';
import { validatePoolOptions } from '../../src/options.js';
import { validateMapOptions, validateTaskOptions } from '../../src/submission.js';
import { checkTimerMilliseconds, describe as describeValue, explainUnreadable, readOptions } from '../../src/validate.js';
import { thrown } from '../helpers.js';

/** Options and argument lists whose reads throw, and time limits (issue 21, findings 7 and 10): no threads. */

const boom = (): never => {
  throw new Error('boom');
};

describe('readOptions', () => {
  it('copies each allowed option once: a getter runs once, and the copy is what is validated and used', () => {
    let reads = 0;
    const options = {
      get timeout() {
        reads++;
        return reads === 1 ? 10 : -1; // a second read would be invalid
      },
    };
    const valid = validateTaskOptions(options);
    expect(valid).toEqual({ timeout: 10 });
    expect(valid.timeout).toBe(10);
    expect(reads).toBe(1);
  });

  it('names an option whose getter throws, keeps the error as cause, and reads no further', () => {
    const error = thrown(() =>
      validateMapOptions({
        get onProgress() {
          return boom();
        },
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Could not read `options.onProgress`: boom');
    expect((error.cause as Error).message).toBe('boom');
    expect(
      thrown(() =>
        validatePoolOptions({
          get idleTimeout() {
            return boom();
          },
        }),
      ).message,
    ).toBe('Could not read `options.idleTimeout`: boom');
  });

  it('names a Proxy whose key listing throws, and still refuses unknown keys by name', () => {
    const proxy = new Proxy({}, { ownKeys: boom });
    expect(thrown(() => readOptions('options', proxy, 'TaskOptions', ['timeout'])).message).toBe('Could not read the keys of `options`: boom');
    expect(thrown(() => readOptions('options', { tiemout: 1 }, 'TaskOptions', ['timeout'])).message).toBe(
      'Unknown option `tiemout` in TaskOptions; allowed: `timeout`',
    );
  });

  it('reads an omitted options object as one shared empty object (no allocation per call)', () => {
    expect(readOptions('options', undefined, 'TaskOptions', ['timeout'])).toBe(readOptions('options', undefined, 'MapOptions', ['chunksize']));
  });
});

describe('explainUnreadable', () => {
  it('rethrows as the element whose read throws, with its index from `first`', () => {
    const list = [1, 2];
    Object.defineProperty(list, 1, { get: boom });
    const original = new Error('while encoding');
    expect(thrown(() => explainUnreadable(original, 'args', list)).message).toBe('Could not read `args[1]`: boom');
    expect(thrown(() => explainUnreadable(original, 'items', [[0], list], true, 10)).message).toBe('Could not read `items[11][1]`: boom');
  });

  it('rethrows the original error when every element reads', () => {
    const original = new RangeError('something else');
    expect(thrown(() => explainUnreadable(original, 'args', [1, 2]))).toBe(original);
    expect(thrown(() => explainUnreadable(original, 'items', 'not a list'))).toBe(original);
  });
});

describe('describe (the value in a message)', () => {
  it('describes a value whose constructor cannot be read, instead of throwing from inside the error message', () => {
    expect(describeValue(new Proxy({}, { get: boom }))).toBe('an object');
    expect(describeValue(new Float64Array(2))).toBe('a Float64Array');
  });
});

describe('checkTimerMilliseconds', () => {
  it('accepts 0 to 2^31 - 1 ms and refuses more by name (setTimeout would fire after 1 ms)', () => {
    expect(checkTimerMilliseconds('timeout', 0)).toBe(0);
    expect(checkTimerMilliseconds('timeout', -0)).toBe(0);
    expect(checkTimerMilliseconds('timeout', 2 ** 31 - 1)).toBe(2 ** 31 - 1);
    const error = thrown(() => checkTimerMilliseconds('timeout', 2 ** 31));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Expected `timeout` to be at most 2147483647 ms, got 2147483648');
    expect(thrown(() => checkTimerMilliseconds('timeout', Infinity))).toBeInstanceOf(RangeError);
    expect(thrown(() => checkTimerMilliseconds('timeout', '5'))).toBeInstanceOf(TypeError);
  });
});
