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
import { WORKER_KERNELS } from '../transport/browser-signals.js';
import { deferSpec } from './registry.js';
import { chooseKernelBuild, type KernelBuild } from './relaxed-simd.js';

/** A value now (Node) or later (a browser's fetch): one code path serves both. */
export type Later<T> = T | Promise<T>;

function then<T, U>(value: Later<T>, next: (value: T) => Later<U>): Later<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** A file's bytes and, where the platform has one, its MIME type (`data:`, a `Content-Type`, a Blob's type). */
export interface Resource {
  bytes: Uint8Array;
  type?: string;
}

/** How a platform reads the files a `module` string or URL names. */
export interface ModuleReader {
  /** Resolves what was given to a URL, or throws a TypeError naming `module` when this platform cannot read it. */
  locate(source: string | URL): URL;
  /** How `url` is named in messages: a path on Node, the URL in a browser. */
  label(url: URL): string;
  readBytes(url: URL, label: string): Later<Uint8Array>;
  /** The bytes and MIME type, to tell a URL's kind when its name does not (`data:`, `blob:`, no extension). */
  readResource(url: URL, label: string): Later<Resource>;
  /**
   * Whether a `.wasm` is checked for AssemblyScript raw bindings beside it (`x.wasm` → `x.js`). Node looks;
   * a browser does not, since each miss is a request and a red 404 in the console: pass the `.js` there.
   */
  readonly probesBindings: boolean;
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

/** What the Pool says about its module besides the module itself: its kind (PoolOptions.moduleType), debug and relaxedSimd. */
export interface PrepareOptions extends SourceOptions {
  kind?: 'wasm' | 'js';
  /** PoolOptions.relaxedSimd: which build of the built-in kernels (src/modules/relaxed-simd.ts). */
  relaxedSimd?: boolean;
}

const BUILTIN_LABEL = 'wasmpool built-in kernels';

/** The `\0asm` magic every WebAssembly binary starts with. */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const JS_MIME = /^(?:text|application)\/(?:javascript|ecmascript|x-javascript)$/;

type Kind = 'wasm' | 'js' | 'ts';

function kindOfMime(type: string | undefined): Kind | undefined {
  const essence = type?.split(';')[0]?.trim().toLowerCase();
  if (essence === 'application/wasm') return 'wasm';
  return essence !== undefined && JS_MIME.test(essence) ? 'js' : undefined;
}

/** What a URL's name says it is: a `data:` URL's MIME type or the path's extension; undefined when it says nothing. */
function kindOfName(url: URL): Kind | undefined {
  if (url.protocol === 'data:') return kindOfMime(url.pathname.split(',')[0]);
  if (url.protocol === 'blob:') return undefined;
  const path = url.pathname;
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.endsWith('.js') || path.endsWith('.mjs')) return 'js';
  if (path.endsWith('.ts')) return 'ts';
  return undefined;
}

/**
 * A URL every worker can import: Chromium does not let a worker import a `blob:` URL the page created
 * ("Failed to fetch dynamically imported module"), so a `blob:` module travels as a `data:` URL of the bytes
 * already read.
 */
function importable(url: URL, bytes: Uint8Array | undefined): string {
  if (url.protocol !== 'blob:' || bytes === undefined) return url.href;
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:text/javascript;base64,${btoa(binary)}`;
}

function isWasm(bytes: Uint8Array): boolean {
  return WASM_MAGIC.every((byte, i) => bytes[i] === byte);
}

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
  /** The `Platform.prepareModule` seam the Pool calls (`kind`: PoolOptions.moduleType; `debug`: PoolOptions.debug). */
  prepare(source: ModuleSource | undefined, options?: PrepareOptions): PreparedModule;
}

/**
 * `builtinBytes` gives the built-in kernels' binaries (the baseline module, or the relaxed-SIMD GEMM and
 * convolution loaded beside it), read on the first Pool that uses them (never at import): Node reads build/;
 * the browser build carries the bytes inside its JavaScript, so there is no file for a bundler to copy or an
 * app to serve, and `new Pool()` stays synchronous.
 */
export function createModulePreparer(reader: ModuleReader, builtinBytes: (build: KernelBuild) => Uint8Array): ModulePreparer {
  /** Each build of the built-in kernels, compiled once (or the error that stopped it, reported to every Pool). */
  const builtins = new Map<KernelBuild, PreparedModule | Error>();

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

  /** A URL whose name does not say what it is: read it and look at the magic, then the MIME type. */
  const fromContent = (url: URL, label: string): Later<PreparedModule> => {
    const resource = reader.readResource(url, label);
    const fetched = resource instanceof Promise;
    return then(resource, ({ bytes, type }): Later<PreparedModule> => {
      if (isWasm(bytes)) {
        return then(fetched ? compileWasmAsync(bytes, label) : compileWasm(bytes, label), (wasm) => fromCompiled(wasm, label, undefined));
      }
      if (kindOfMime(type) === 'js') return { spec: { kind: 'js', url: importable(url, bytes) }, info: undefined, label };
      throw new TypeError(
        `Expected \`module\` to be a .wasm, .js, .mjs or AssemblyScript .ts file, got ${label}${type ? ` (${type})` : ''}, which is neither WebAssembly (no \\0asm magic) nor of a JavaScript MIME type; pass \`moduleType: 'js'\` if it is JavaScript`,
      );
    });
  };

  const fromLocation = (source: string | URL, given: 'wasm' | 'js' | undefined, options: SourceOptions): Later<PreparedModule> => {
    const url = reader.locate(source);
    const label = reader.label(url);
    const kind = given ?? kindOfName(url);
    if (kind === 'wasm') return fromWasmFile(url, label, reader.probesBindings && url.pathname.endsWith('.wasm'));
    // Given as JavaScript: imported as it is, without looking for AssemblyScript bindings first.
    if (given === 'js')
      return then(url.protocol === 'blob:' ? reader.readResource(url, label) : undefined, (read) => ({
        spec: { kind: 'js', url: importable(url, read?.bytes) },
        info: undefined,
        label,
      }));
    if (kind === 'js') return url.protocol === 'data:' ? { spec: { kind: 'js', url: url.href }, info: undefined, label } : fromScriptFile(url, label);
    if (kind === 'ts') return fromCompiled(compileWasm(reader.compileSource(url, label, options), label), label, undefined);
    return fromContent(url, label);
  };

  /** Each build compiled once; what stopped one is kept and reported to every Pool that asks for it. */
  const load = (build: KernelBuild): PreparedModule | Error => {
    let prepared = builtins.get(build);
    if (prepared === undefined) {
      try {
        prepared = compileBuiltin(build);
      } catch (error) {
        prepared = error as Error;
      }
      builtins.set(build, prepared);
    }
    return prepared;
  };

  /** The relaxed build is the baseline module with `overrides`: its GEMM and convolution, on the same memory. */
  const compileBuiltin = (build: KernelBuild): PreparedModule => {
    if (build === 'baseline') return fromCompiled(compileWasm(builtinBytes('baseline'), BUILTIN_LABEL), BUILTIN_LABEL, undefined);
    const baseline = load('baseline');
    if (baseline instanceof Error) throw baseline;
    const overrides = compileWasm(builtinBytes('relaxed'), `${BUILTIN_LABEL} (relaxed SIMD)`).module;
    return { ...baseline, spec: { ...(baseline.spec as Extract<ModuleSpec, { kind: 'wasm' }>), overrides } };
  };

  const builtin = (build: KernelBuild): PreparedModule => {
    const prepared = load(build);
    if (prepared instanceof Error) throw new TypeError(`The built-in kernels could not be loaded: ${prepared.message}`, { cause: prepared });
    return { ...prepared };
  };

  return {
    prepare(source, options = {}) {
      const kind = options.kind;
      if (source === undefined) return builtin(chooseKernelBuild(options.relaxedSimd));
      if (source instanceof WebAssembly.Module) {
        return { spec: { kind: 'wasm', module: source }, info: checkCompiledModule(source), label: 'given as a WebAssembly.Module' };
      }
      if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
        const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
        const label = `(${bytes.length} bytes)`;
        return fromCompiled(compileWasm(bytes, label), label, undefined);
      }
      if (source === WORKER_KERNELS) return { spec: { kind: 'js', url: WORKER_KERNELS }, info: undefined, label: 'the kernels the worker script registered' };
      if (typeof source !== 'string' && !(source instanceof URL)) {
        throw new TypeError(`Expected \`module\` to be a path, URL, bytes or WebAssembly.Module, got ${describe(source)}`);
      }
      const prepared = fromLocation(source, kind, options);
      if (!(prepared instanceof Promise)) return prepared;
      const url = reader.locate(source);
      return deferred(prepared, reader.label(url), kind !== 'js' && (kind === 'wasm' || kindOfName(url) !== 'js'));
    },
  };
}

/**
 * A module whose bytes are still on their way: the Pool gets a placeholder at
 * once and its workers get the module when it is compiled. Until then the pool
 * has no signatures and no memory: it refuses typed-array arguments (saying to
 * wait with `Pool.create`) and checks arguments from then on. The shared memory such a module imports is created here, once
 * per pool, and becomes `pool.memory` once the module has compiled.
 */
function deferred(later: Promise<PreparedModule>, label: string, mayBeWasm: boolean): PreparedModule {
  const placeholder: ModuleSpec = { kind: 'js', url: label };
  const prepared: PreparedModule = { spec: placeholder, info: undefined, label };
  deferSpec(
    placeholder,
    prepared,
    later.then((real) => {
      // The Pool reads these per call, so its argument checks (and `pool.memory`, `pool.alloc`) start now.
      const memory = createSharedMemory(real.info, real.label);
      prepared.spec = real.spec.kind === 'wasm' && memory ? { ...real.spec, memory } : real.spec;
      prepared.info = real.info;
      prepared.label = real.label;
      return prepared.spec;
    }),
    mayBeWasm,
  );
  return prepared;
}
