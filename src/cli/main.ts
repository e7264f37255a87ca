#!/usr/bin/env node
/**
 * `wasmpool build kernel.ts [-o kernel.wasm] [--types [OUT.d.ts]]`: the compile
 * `new Pool({ module: 'kernel.ts' })` does, for publishing a kernel as .wasm (or
 * using it in a browser). Prints each kernel's signature as the pool will check
 * it, and with --types writes a declaration for `new Pool<Kernels>`.
 */
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileAssemblyScript } from '../compile/compile.js';
import { inspectWasm, type WasmModuleInfo } from '../wasm/inspect.js';
import { declaration, userParams } from '../wasm/kernel-types.js';
import { checkOutput, UsageError, writeOutput } from './write-output.js';

const USAGE = `Usage: wasmpool build FILE.ts [-o OUT.wasm] [--types [OUT.d.ts]] [--debug]

Compiles an AssemblyScript kernel module with the flags a wasmpool pool needs
(shared memory imported from env.memory, threads, a heap per worker) and prints
the signature of each kernel it exports.

Options:
  -o, --out FILE        where to write the module (default: FILE.wasm beside FILE.ts)
  --types [OUT.d.ts]    also write a TypeScript declaration of the kernels, for
                        new Pool<Kernels>(...) (default: FILE.kernels.d.ts beside FILE.ts)
  --debug               a debug build: no optimization, names and a source map kept,
                        so traps name the function and file:line:column
  -h, --help            show this help

Needs the compiler: npm install --save-dev assemblyscript`;

export function describeModule(info: WasmModuleInfo): string[] {
  const lines = [...info.kernels].map(([name, { params, results }]) => {
    const source = info.types?.get(name);
    // As the caller passes them: one typed array for a (pointer, length) pair.
    const shown = source ? userParams(source).map((p) => `${p.name}: ${p.isArray ? (p.array ?? 'TypedArray') : p.source}`) : params;
    return `  ${name}(${shown.join(', ')}): ${source ? source.result : results.length ? results.join(', ') : 'void'}`;
  });
  const memory = info.memoryImport;
  if (memory)
    lines.push(
      `  memory: ${memory.shared ? 'shared, ' : ''}imported as ${memory.module}.${memory.name}, ${memory.initial} to ${memory.maximum ?? 'unbounded'} pages`,
    );
  return lines;
}

function build(argv: string[]): void {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: 'string', short: 'o' }, types: { type: 'boolean' }, debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    const { code, message } = error as Error & { code?: string };
    const option = /'([^']+)'/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option)
      throw new UsageError(`Unknown option \`${option}\`; \`build\` takes -o/--out FILE, --types [OUT.d.ts], --debug and -h/--help`);
    throw new UsageError(message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // `--types` takes an optional path (parseArgs has no optional values): a second positional ending .d.ts.
  const typesOut = values.types && positionals.length === 2 && positionals[1].endsWith('.d.ts') ? positionals.pop() : undefined;
  if (positionals.length !== 1)
    throw new UsageError(`Expected one AssemblyScript file to build, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  const source = resolve(positionals[0]);
  if (!source.endsWith('.ts')) throw new UsageError(`Expected FILE to be an AssemblyScript .ts file, got ${positionals[0]}`);
  if (values.out !== undefined && !values.out.endsWith('.wasm')) throw new UsageError(`Expected \`--out\` to be a .wasm path, got ${values.out}`);
  const out = resolve(values.out ?? source.replace(/\.ts$/, '.wasm'));
  const types = values.types ? resolve(typesOut ?? source.replace(/\.ts$/, '.kernels.d.ts')) : undefined;

  // Checked before the compile too: a plain mistake should not wait for asc.
  const what = values.out === undefined ? 'the output (FILE.wasm beside FILE.ts)' : '`--out`';
  checkOutput(out, what, [source]);
  if (types) checkOutput(types, '`--types`', [source]);
  const { wasm, cached, files } = compileAssemblyScript(source, { debug: values.debug });
  checkOutput(out, what, files);
  if (types) checkOutput(types, '`--types`', files);
  const info = inspectWasm(wasm);
  writeOutput(out, wasm);
  console.log(`built ${out} (${wasm.length} bytes${cached ? ', from the cache' : ''}) from ${basename(source)}:`);
  for (const line of describeModule(info)) console.log(line);
  if (types) {
    writeOutput(types, new TextEncoder().encode(declaration(info.types ?? new Map(), basename(source))));
    console.log(`wrote ${types}: use it as new Pool<Kernels>(...)`);
  }
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    if (command === '-h' || command === '--help' || command === 'help') {
      console.log(USAGE);
      return 0;
    }
    if (command === undefined) throw new UsageError('Expected a command; the only command is `build`');
    if (command !== 'build') throw new UsageError(`Unknown command \`${command}\`; the only command is \`build\``);
    build(rest);
    return 0;
  } catch (error) {
    const usage = error instanceof UsageError;
    console.error(`wasmpool: ${(error as Error).message}${usage ? '\nRun `wasmpool build --help` for usage.' : ''}`);
    return usage ? 2 : 1;
  }
}

process.exitCode = main(process.argv.slice(2));
