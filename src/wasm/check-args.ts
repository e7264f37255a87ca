import type { KernelSignature, WasmModuleInfo } from './inspect.js';
import { describe } from '../validate.js';

function typeProblem(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'i32':
      if (typeof value === 'boolean') return undefined;
      if (typeof value !== 'number') return 'a number';
      if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) return 'an integer in [-2147483648, 4294967295]';
      return undefined;
    case 'f32':
    case 'f64':
      return typeof value === 'number' || typeof value === 'boolean' ? undefined : 'a number';
    case 'i64':
      return typeof value === 'bigint' ? undefined : 'a bigint';
    default:
      return `a value the JS API cannot pass (${type})`;
  }
}

function signatureText(signature: KernelSignature): string {
  return `(${signature.params.join(', ')})`;
}

/**
 * Checks an argument list against a plain WASM kernel's signature, before
 * dispatch: the JS API would otherwise coerce silently ("abc" → NaN → 0).
 * `where` names the argument list for the message (e.g. "items[3]").
 */
export function checkWasmArgs(info: WasmModuleInfo | undefined, kernel: string, args: readonly unknown[], where = 'args'): void {
  const signature = info?.kernels.get(kernel);
  if (!signature) return; // unknown kernel: the result fails with the list of kernels
  if (args.length !== signature.params.length) {
    throw new RangeError(
      `Kernel \`${kernel}\` takes ${signature.params.length} argument${signature.params.length === 1 ? '' : 's'} ${signatureText(signature)}, got ${args.length} in \`${where}\``,
    );
  }
  for (let i = 0; i < args.length; i++) {
    const problem = typeProblem(signature.params[i], args[i]);
    if (problem) {
      const Error = typeof args[i] === 'number' ? RangeError : TypeError;
      throw new Error(
        `Expected \`${where}[${i}]\` of kernel \`${kernel}\` ${signatureText(signature)} to be ${problem} (${signature.params[i]}), got ${describe(args[i])}`,
      );
    }
  }
}

/**
 * checkWasmArgs for every item of a plain (non-star) map, without building an argument list or a
 * message per item: a million-item map is checked in a few milliseconds. Returns false when some item
 * needs the general path (a typed array to lower), true when all items were checked here.
 */
export function checkWasmItems(info: WasmModuleInfo | undefined, kernel: string, items: readonly unknown[]): boolean {
  const signature = info?.kernels.get(kernel);
  if (!signature) return true;
  if (signature.params.length !== 1) return false; // maybe (pointer, length) from one typed array: the general path knows
  const type = signature.params[0];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item === 'object' && item !== null && ArrayBuffer.isView(item)) return false;
    if (typeProblem(type, item)) checkWasmArgs(info, kernel, [item], `items[${i}]`);
  }
  return true;
}
