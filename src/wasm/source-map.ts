/**
 * Where in the AssemblyScript source a WASM trap happened, for debug builds: the compile embeds
 * asc's source map in a custom section, and the worker maps the byte offset of the trapping frame
 * (V8's `wasm-function[3]:0x1a2`, an offset in the module) to `file:line:column`. Source maps for
 * WASM use the byte offset as the generated column, on one generated line.
 */

export const SOURCE_MAP_SECTION = 'wasmpool.sourcemap';

interface RawSourceMap {
  sources: string[];
  mappings: string;
}

export interface SourceLocation {
  source: string;
  line: number;
  column: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decoded segments: [offset, source index, line (0-based), column (0-based)], in offset order. */
function decode(mappings: string): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  const state = [0, 0, 0, 0];
  for (const segment of mappings.split(/[,;]/)) {
    if (!segment) continue;
    const fields: number[] = [];
    let value = 0;
    let shift = 0;
    for (const char of segment) {
      const digit = BASE64.indexOf(char);
      if (digit < 0) return out; // not a source map we understand: locate() finds nothing
      value += (digit & 31) << shift;
      if (digit & 32) shift += 5;
      else {
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
    }
    for (let i = 0; i < fields.length && i < 4; i++) state[i] += fields[i];
    if (fields.length >= 4) out.push([state[0], state[1], state[2], state[3]]);
  }
  return out;
}

export class SourceMap {
  readonly #sources: string[];
  readonly #segments: Array<[number, number, number, number]>;

  private constructor(map: RawSourceMap) {
    this.#sources = map.sources;
    this.#segments = decode(map.mappings);
  }

  /** The map embedded in `module`, or undefined (not a debug build). */
  static of(module: WebAssembly.Module): SourceMap | undefined {
    const [section] = WebAssembly.Module.customSections(module, SOURCE_MAP_SECTION);
    if (!section) return undefined;
    try {
      const map = JSON.parse(new TextDecoder().decode(section)) as RawSourceMap;
      return Array.isArray(map.sources) && typeof map.mappings === 'string' ? new SourceMap(map) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The source position of the last mapping at or before byte `offset`. */
  locate(offset: number): SourceLocation | undefined {
    const segments = this.#segments;
    let lo = 0;
    let hi = segments.length - 1;
    if (hi < 0 || segments[0][0] > offset) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid][0] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const [, source, line, column] = segments[lo];
    return { source: this.#sources[source] ?? '?', line: line + 1, column: column + 1 };
  }
}

/** The first WASM frame of a trap's stack: the function's name (a debug build keeps it) and the byte offset. */
const FRAME = /at (?:(\S+) \()?wasm:\/\/wasm\/[^:]*:wasm-function\[\d+\]:0x([0-9a-f]+)/;

/**
 * Adds where a trap happened to its message: `unreachable` becomes `unreachable in boom at
 * assembly/kernel.ts:3:14`. The error object is kept (it is still a RuntimeError).
 */
export function locateTrap(error: unknown, map: SourceMap): void {
  if (!(error instanceof WebAssembly.RuntimeError) || typeof error.stack !== 'string') return;
  const frame = FRAME.exec(error.stack);
  if (!frame) return;
  const where = map.locate(parseInt(frame[2], 16));
  // AssemblyScript names functions `file/name`: the name alone reads better beside the file.
  const name = frame[1]?.slice(frame[1].lastIndexOf('/') + 1);
  const inName = name ? ` in ${name}` : '';
  if (where || inName) error.message += `${inName}${where ? ` at ${where.source}:${where.line}:${where.column}` : ''}`;
}
