/**
 * One compile with asc's JS API, all file access through hooks: the files it
 * reads are recorded (they key the cache), the binary is kept in memory, and
 * the project's asconfig.json is read as asc reads it, below the flags a pool
 * needs (asc lets command-line flags win). Paths are relative to the project
 * (the folder of the nearest package.json above the entry), so abort messages
 * and source maps name `assembly/kernel.ts`, not `kernel.ts`.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { readRegularFile } from './files.js';
import type { SourceSignature } from '../wasm/kernel-types.js';
import type { CompileRequest, CompileResponse, SourceFile } from './protocol.js';

interface Diagnostic {
  message: string;
  code: number;
  category: number;
  range: { start: number; source: { normalizedPath: string } | null } | null;
}

/** The parts of asc's Program a transform reads the entry's exported signatures from. */
interface TypeNode {
  name?: { identifier: { text: string } };
}
interface AscProgram {
  filesByName: Map<
    string,
    {
      source?: { normalizedPath: string };
      exports?: Map<string, { functionTypeNode?: { parameters: Array<{ name: { text: string }; type: TypeNode }>; returnType: TypeNode } }>;
    }
  >;
}

/** An exported function's parameter and result types as the source writes them (see src/wasm/kernel-types.ts). */
function sourceSignatures(program: AscProgram, entryPath: string): Array<[string, SourceSignature]> {
  const file = [...program.filesByName.values()].find((candidate) => candidate.source?.normalizedPath === entryPath);
  const out: Array<[string, SourceSignature]> = [];
  const text = (node: TypeNode): string => node.name?.identifier.text ?? 'unknown';
  for (const [name, element] of file?.exports ?? []) {
    const signature = element.functionTypeNode;
    if (!signature || name.startsWith('__')) continue;
    out.push([name, { params: signature.parameters.map((p) => ({ name: p.name.text, type: text(p.type) })), result: text(signature.returnType) }]);
  }
  return out;
}

interface AscApi {
  /** asc's bundled standard library by path under ~lib/, without the .ts: what `--runtime stub` compiles is `rt/index-stub`. */
  libraryFiles: Record<string, string>;
  main(
    args: string[],
    options: {
      readFile(name: string, baseDir: string): Promise<string | null>;
      writeFile(name: string, contents: Uint8Array | string, baseDir: string): Promise<void>;
      listFiles(dir: string, baseDir: string): Promise<string[] | null>;
      reportDiagnostic(diagnostic: Diagnostic): void;
      transforms?: Array<{ afterInitialize?(program: AscProgram): void }>;
    },
  ): Promise<{ error: Error | null; stderr: { toString(): string } }>;
}

/** asc's DiagnosticCategory.Error. */
const ERROR = 3;
const OWN_PACKAGE = /[\\/]node_modules[\\/]wasmpool[\\/](.+)$/;

function lineAndColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `${line}:${offset - lineStart + 1}`;
}

export async function runAsc(request: CompileRequest): Promise<CompileResponse> {
  let asc: AscApi;
  try {
    asc = (await import(request.compilerUrl)) as AscApi;
  } catch (error) {
    return {
      ok: false,
      message: `Could not load the AssemblyScript compiler (${(error as Error).message}); reinstall it: npm install --save-dev assemblyscript`,
    };
  }
  const baseDir = request.projectRoot ?? dirname(request.entry);
  const entry = relative(baseDir, request.entry).split(sep).join('/');
  let sourceMap: string | undefined;
  const read = new Map<string, SourceFile>();
  const byName = new Map<string, string>();
  const absent = new Set<string>();
  let wasm: Uint8Array | undefined;
  const located: string[] = [];
  let kernels: Array<[string, SourceSignature]> = [];
  if (request.runtime) {
    // wasmpool's runtime as the stub: each worker's instance allocates in its own region (see the file).
    // asc treats any other --runtime path as a GC runtime and adds a shadow stack, at the same
    // addresses in every worker; under the name of the stub it adds none. This thread is asc's only
    // user, so replacing its library entry affects this compile alone.
    const bytes = readRegularFile(request.runtime);
    if (!bytes) return { ok: false, message: `wasmpool's AssemblyScript runtime ${request.runtime} is missing; reinstall wasmpool` };
    const text = bytes.toString('utf8');
    asc.libraryFiles['rt/index-stub'] = text;
    read.set(request.runtime, { path: request.runtime, text });
  }

  const { error, stderr } = await asc.main([entry, ...request.flags, '--baseDir', baseDir, '--outFile', 'out.wasm'], {
    async readFile(name, dir) {
      const path = resolve(dir, name);
      const own = OWN_PACKAGE.exec(path);
      for (const candidate of own ? [path, join(request.packageRoot, own[1])] : [path]) {
        // Only a regular file: a FIFO planted where an import looks would block the compile for ever.
        const bytes = readRegularFile(candidate);
        if (!bytes) {
          // Not there: asc tries the next place a module may live. Part of the cache key, since a file
          // created here later would be read instead.
          absent.add(candidate);
          continue;
        }
        const text = bytes.toString('utf8');
        read.set(candidate, { path: candidate, text });
        byName.set(path, candidate);
        return text;
      }
      return null;
    },
    async writeFile(name, contents) {
      if (name === 'out.wasm' && typeof contents !== 'string') wasm = contents;
      else if (name === 'out.wasm.map') sourceMap = typeof contents === 'string' ? contents : new TextDecoder().decode(contents);
    },
    async listFiles(dir, base) {
      try {
        return (await readdir(resolve(base, dir))).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
      } catch {
        return null;
      }
    },
    reportDiagnostic(diagnostic) {
      const source = diagnostic.range?.source?.normalizedPath;
      if (!source || diagnostic.category !== ERROR) return;
      const path = resolve(baseDir, source);
      const file = read.get(byName.get(path) ?? path);
      const where = file ? `${path}:${lineAndColumn(file.text, diagnostic.range!.start)}` : source;
      located.push(`${where}: error TS${diagnostic.code}: ${diagnostic.message}`);
    },
    transforms: [
      {
        afterInitialize(program) {
          kernels = sourceSignatures(program, entry);
        },
      },
    ],
  });
  if (error || !wasm) {
    const details = stderr.toString().trim();
    const summary = located.length > 0 ? located.join('\n') : (error?.message ?? 'asc wrote no binary');
    return { ok: false, message: `${summary}${details ? `\n\nasc said:\n${details}` : ''}` };
  }
  return { ok: true, wasm, files: [...read.values()], absent: [...absent], kernels, sourceMap };
}
