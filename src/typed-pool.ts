/**
 * Compile-time typing of a pool's kernels: `new Pool<Kernels>(...)` with the interface `wasmpool
 * build FILE.ts --types` writes makes every submit method check the kernel name, the arguments and
 * the result type. Without a type argument a pool keeps the untyped signatures (any name, `unknown`
 * arguments, the result type given as `apply<T>`). Types only: nothing here exists at run time.
 */

declare const UNTYPED: unique symbol;

/** The default type argument of Pool: no kernel map, so the untyped signatures apply. */
export interface UntypedKernels {
  readonly [UNTYPED]: true;
}

/** What a kernel map looks like: an interface of functions, one per kernel (see `wasmpool build --types`). */
export type KernelMap = object;

// Each method appears twice on Pool: a typed signature, usable only when K is a kernel map, and the
// untyped one, usable only when it is not. Exactly one is ever viable, so a wrong call is an error
// instead of falling back to the other.

/** Kernel names of a typed pool; `never` for an untyped one. */
export type KernelName<K> = K extends UntypedKernels ? never : { [N in keyof K]: K[N] extends (...args: never[]) => unknown ? N : never }[keyof K] & string;

/** `string` for an untyped pool; `never` for a typed one (its calls must match the kernel map). */
export type UntypedKernelName<K> = K extends UntypedKernels ? string : never;

/** The argument list of kernel N. */
export type KernelArgs<K, N extends keyof K> = K[N] extends (...args: infer A) => unknown ? Readonly<A> : never;

/** The item of a (non-star) map over kernel N: its only argument. */
export type KernelItem<K, N extends keyof K> = K[N] extends (arg: infer A) => unknown ? A : never;

/** What kernel N resolves with (`undefined` for a `void` kernel). */
export type KernelResult<K, N extends keyof K> = K[N] extends (...args: never[]) => infer R ? ([R] extends [void] ? undefined : R) : never;
