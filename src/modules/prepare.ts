/**
 * Turns `PoolOptions.module` into what workers load, the same way on every
 * platform. Only reading files differs, and that is the `ModuleReader` each
 * entry point passes in: Node reads with `fs` at once, so everything is checked
 * in the Pool constructor; a browser fetches, so a module given by URL is
 * checked (and its workers started) once its bytes arrive.
 */
import type { ModuleSpec } from '../abi/protocol.js';
import type { ModuleSource } from '../options.js';
import { describe } from '../validate.js';
import {
  checkCompiledModule,
  checkImports,
  compileWasm,
  compileWasmAsync,
  createSharedMemory,
  type CompiledWasm,
  type PreparedModule,
} from '../wasm/prepare-module.js';
import { deferSpec } from './registry.js';

/** A value now (Node) or later (a browser's fetch): one code path serves both. */
export type Later<T> = T | Promise<T>;

function then<T, U>(value: Later<T>, next: (value: T) => Later<U>): Later<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** How a platform reads the files a `module` string or URL names. */
export interface ModuleReader {
  /** Resolves what was given to a URL, or throws a TypeError naming `module` when this platform cannot read it. */
  locate(source: string | URL): URL;
  /** How `url` is named in messages: a path on Node, the URL in a browser. */
  label(url: URL): string;
  readBytes(url: URL, label: string): Later<Uint8Array>;
  /** The file's text, or undefined when there is no such file. */
  readText(url: URL): Later<string | undefined>;
  exists(url: URL): Later<boolean>;
  /** Compiles an AssemblyScript source file to WASM bytes, or throws saying why this platform cannot. */
  compileSource(url: URL, label: string, options: SourceOptions): Uint8Array;
}

/** How a `.ts` module is compiled (PoolOptions.debug). */
export interface SourceOptions {
  debug?: boolean;
}

/** Beside dist/modules/, as in the package: a bundler that understands `new URL(..., import.meta.url)` copies it. */
export const BUILTIN_KERNELS = new URL('../../build/kernels.wasm', import.meta.url);
const BUILTIN_LABEL = 'wasmpool built-in kernels';

/** What `asc --bindings raw` writes: the JS beside a .wasm that adapts strings and arrays. */
const RAW_BINDINGS = /export\s+async\s+function\s+instantiate\s*\(/;

function withExtension(url: URL, from: RegExp, to: string): URL {
  const other = new URL(url.href);
  other.pathname = other.pathname.replace(from, to);
  return other;
}

function bindingsAt(reader: ModuleReader, url: URL): Later<string | undefined> {
  return then(reader.readText(url), (text) => (text !== undefined && RAW_BINDINGS.test(text) ? url.href : undefined));
}

export interface ModulePreparer {
  /** The `Platform.prepareModule` seam the Pool calls. */
  prepare(source: ModuleSource | undefined, options?: SourceOptions): PreparedModule;
  /** For platforms that read asynchronously: load the built-in kernels once, so `new Pool()` stays synchronous. */
  preloadBuiltin(): Promise<void>;
}

export function createModulePreparer(reader: ModuleReader): ModulePreparer {
  let builtin: PreparedModule | Error | undefined;

  const fromCompiled = (compiled: CompiledWasm, label: string, bindingsUrl: string | undefined): PreparedModule => {
    checkImports(compiled.module, label, bindingsUrl !== undefined);
    return { spec: { kind: 'wasm', module: compiled.module, bindingsUrl }, info: compiled.info, label };
  };

  const fromWasmFile = (url: URL, label: string, lookForBindings: boolean): Later<PreparedModule> => {
    const bytes = reader.readBytes(url, label);
    const compiled = bytes instanceof Promise ? bytes.then((b) => compileWasmAsync(b, label)) : compileWasm(bytes, label);
    const bindings = lookForBindings ? bindingsAt(reader, withExtension(url, /\.wasm$/, '.js')) : undefined;
    return then(compiled, (wasm) => then(bindings, (bindingsUrl) => fromCompiled(wasm, label, bindingsUrl)));
  };

  const fromScriptFile = (url: URL, label: string): Later<PreparedModule> =>
    then(bindingsAt(reader, url), (bindings): Later<PreparedModule> => {
      if (bindings === undefined) return { spec: { kind: 'js', url: url.href }, info: undefined, label };
      const wasm = withExtension(url, /\.m?js$/, '.wasm');
      const wasmLabel = reader.label(wasm);
      return then(reader.exists(wasm), (present) => {
        if (!present) throw new TypeError(`${label} looks like AssemblyScript bindings, but ${wasmLabel} is not beside it`);
        return fromWasmFile(wasm, wasmLabel, true);
      });
    });

  const fromLocation = (source: string | URL, options: SourceOptions): Later<PreparedModule> => {
    const url = reader.locate(source);
    const label = reader.label(url);
    const path = url.pathname;
    if (path.endsWith('.wasm')) return fromWasmFile(url, label, true);
    if (path.endsWith('.js') || path.endsWith('.mjs')) return fromScriptFile(url, label);
    if (path.endsWith('.ts')) return fromCompiled(compileWasm(reader.compileSource(url, label, options), label), label, undefined);
    throw new TypeError(`Expected \`module\` to be a .wasm, .js, .mjs or AssemblyScript .ts file, got ${label}`);
  };

  return {
    prepare(source, options = {}) {
      if (source === undefined) {
        if (builtin instanceof Error) throw new TypeError(`The built-in kernels could not be loaded: ${builtin.message}`, { cause: builtin });
        if (builtin) return { ...builtin };
        const prepared = fromWasmFile(BUILTIN_KERNELS, BUILTIN_LABEL, false);
        if (prepared instanceof Promise) throw new Error('wasmpool: the built-in kernels are still loading; import from "wasmpool", not from an internal file');
        builtin = prepared;
        return { ...prepared };
      }
      if (source instanceof WebAssembly.Module) {
        return { spec: { kind: 'wasm', module: source }, info: checkCompiledModule(source), label: 'given as a WebAssembly.Module' };
      }
      if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
        const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
        const label = `(${bytes.length} bytes)`;
        return fromCompiled(compileWasm(bytes, label), label, undefined);
      }
      if (typeof source !== 'string' && !(source instanceof URL)) {
        throw new TypeError(`Expected \`module\` to be a path, URL, bytes or WebAssembly.Module, got ${describe(source)}`);
      }
      const prepared = fromLocation(source, options);
      return prepared instanceof Promise ? deferred(prepared, String(source)) : prepared;
    },

    async preloadBuiltin() {
      try {
        builtin = await fromWasmFile(BUILTIN_KERNELS, `${BUILTIN_LABEL} (${BUILTIN_KERNELS.href})`, false);
        builtin.label = BUILTIN_LABEL;
      } catch (error) {
        // Kept and thrown by the first Pool that needs the built-in module, not by the import.
        builtin = error as Error;
      }
    },
  };
}

/**
 * A module whose bytes are still on their way: the Pool gets a placeholder at
 * once and its workers get the module when it is compiled. Until then the pool
 * has no signatures, so arguments are checked against the WASM signature only
 * from then on. The shared memory such a module imports is created here, once
 * per pool, and is not visible as `pool.memory`: pass bytes for that.
 */
function deferred(later: Promise<PreparedModule>, label: string): PreparedModule {
  const placeholder: ModuleSpec = { kind: 'js', url: label };
  const prepared: PreparedModule = { spec: placeholder, info: undefined, label };
  deferSpec(
    placeholder,
    later.then((real) => {
      // The Pool reads these per call, so its argument checks start now.
      prepared.spec = real.spec;
      prepared.info = real.info;
      prepared.label = real.label;
      const memory = createSharedMemory(real.info, real.label);
      return real.spec.kind === 'wasm' && memory ? { ...real.spec, memory } : real.spec;
    }),
  );
  return prepared;
}
