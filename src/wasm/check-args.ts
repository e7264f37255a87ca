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
