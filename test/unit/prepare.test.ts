// Module preparation (src/modules/prepare.ts) without threads or a pool, on both strategies: Node's
// reader on real files, and the browser's on a fetch stubbed to serve the same files. The two must
// agree on what each `module` becomes and on what is rejected, differing only in when (a browser's
// .wasm URL is checked once its bytes arrive).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { browserReader } from '../../dist/modules/browser-reader.js';
import { builtinKernelBytes } from '../../dist/modules/builtin-kernels.js';
import { nodeReader, readBuiltinKernels } from '../../dist/modules/node-reader.js';
import { createModulePreparer, type ModuleReader } from '../../dist/modules/prepare.js';
import { resolveModuleSpec } from '../../dist/modules/registry.js';
import type { PreparedModule } from '../../dist/wasm/prepare-module.js';
import { BOUND_WASM, FAULTS_WASM, JS_TASKS, built, rejection, thrown } from '../helpers.js';

const SITE = 'https://example.test/app/';
/** What the stubbed server holds: URL → file on disk. */
const served = new Map<string, string>([
  [`${SITE}orphan.js`, BOUND_WASM.replace(/\.wasm$/, '.js')], // bindings with no orphan.wasm beside
  [`${SITE}faults.wasm`, FAULTS_WASM],
  [`${SITE}bound.wasm`, BOUND_WASM],
  [`${SITE}bound.js`, BOUND_WASM.replace(/\.wasm$/, '.js')],
  [`${SITE}tasks.mjs`, JS_TASKS],
  [`${SITE}kernels.wasm`, built('kernels.wasm')],
  [`${SITE}kernels`, built('kernels.wasm')], // no extension: told by the \0asm magic
  [`${SITE}tasks`, JS_TASKS], // no extension, served as JavaScript
  [`${SITE}notes`, BOUND_WASM.replace(/\.wasm$/, '.d.ts')], // no extension, neither
]);

const forNode = (reader: ModuleReader) => createModulePreparer(reader, readBuiltinKernels);
const forBrowser = (reader: ModuleReader) => createModulePreparer(reader, builtinKernelBytes);

/** A bindings file with no .wasm beside it, on disk for Node (the browser's is in `served`). */
const scratch = mkdtempSync(join(tmpdir(), 'wasmpool-prepare-'));
const ORPHAN = join(scratch, 'orphan.js');
copyFileSync(BOUND_WASM.replace(/\.wasm$/, '.js'), ORPHAN);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(() => {
  vi.stubGlobal('fetch', async (url: URL | string, init?: RequestInit) => {
    const file = served.get(String(url));
    if (!file) return new Response('not found', { status: 404, statusText: 'Not Found' });
    const type = String(url).endsWith('tasks') ? 'text/javascript; charset=utf-8' : 'application/octet-stream';
    return new Response(init?.method === 'HEAD' ? null : readFileSync(file), { headers: { 'content-type': type } });
  });
});
afterAll(() => vi.unstubAllGlobals());

/** The module as workers will get it: at once on Node, after the fetch in a browser. */
async function settled(prepared: PreparedModule) {
  const spec = await resolveModuleSpec(prepared.spec);
  return { spec, info: prepared.info, label: prepared.label };
}

const platforms = [
  { name: 'Node', preparer: forNode(nodeReader), at: (file: string) => file, orphan: ORPHAN },
  {
    name: 'browser',
    preparer: forBrowser(browserReader),
    at: (file: string) => [...served].find(([url, f]) => f === file && !url.includes('orphan'))![0],
    orphan: `${SITE}orphan.js`,
  },
];

describe.each(platforms)('prepare on $name', ({ name, preparer, at, orphan }) => {
  it('a .wasm file becomes a compiled module with its kernel signatures', async () => {
    const { spec, info } = await settled(preparer.prepare(at(FAULTS_WASM)));
    expect(spec.kind).toBe('wasm');
    expect(spec.kind === 'wasm' && spec.bindingsUrl).toBeUndefined();
    expect(info?.kernels.get('ok')).toEqual({ params: ['i32'], results: ['i32'] });
  });

  it('uses AssemblyScript raw bindings given directly (and on Node, found beside a .wasm)', async () => {
    const sources = name === 'Node' ? [at(BOUND_WASM), at(BOUND_WASM.replace(/\.wasm$/, '.js'))] : [at(BOUND_WASM.replace(/\.wasm$/, '.js'))];
    for (const source of sources) {
      const { spec } = await settled(preparer.prepare(source));
      expect(spec.kind === 'wasm' && spec.bindingsUrl).toMatch(/bound\.js$/);
    }
  });

  it('a .js/.mjs file that is not bindings is a JavaScript task module', async () => {
    const { spec, info } = await settled(preparer.prepare(at(JS_TASKS)));
    expect(spec).toEqual({ kind: 'js', url: expect.stringMatching(/tasks\.mjs$/) });
    expect(info).toBeUndefined();
  });

  it('a URL module importing a shared memory gets one with the limits read from its binary', async () => {
    const prepared = preparer.prepare(at(built('kernels.wasm')));
    await settled(prepared);
    expect(prepared.info?.memoryImport).toMatchObject({ initial: 1, maximum: 65536, shared: true });
  });

  it('rejects a WebAssembly.Module that imports a memory of unknown limits, naming `module` and what to pass instead', () => {
    const foreign = new WebAssembly.Module(readFileSync(built('kernels.wasm')));
    expect(thrown(() => preparer.prepare(foreign)).message).toBe(
      'Expected `module` to be a WebAssembly.Module whose memory the pool can create, but the one given imports a memory whose limits a compiled Module does not reveal; pass its bytes, path or URL instead',
    );
  });

  it('accepts a WebAssembly.Module it compiled itself from bytes, and keeps its signatures', () => {
    const first = preparer.prepare(new Uint8Array(readFileSync(built('kernels.wasm'))));
    const module = first.spec.kind === 'wasm' ? first.spec.module : undefined;
    expect(preparer.prepare(module).info?.memoryImport?.maximum).toBe(65536);
  });

  it('rejects bytes that import what the worker does not provide', () => {
    const importing = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 15, 1, 5, 111, 116, 104, 101, 114, 5, 116, 104, 105, 110, 103, 0, 0]);
    expect(thrown(() => preparer.prepare(importing)).message).toMatch(
      /^The WebAssembly module \(31 bytes\) imports `other\.thing` \(function\), which wasmpool does not provide/,
    );
  });

  it('rejects a file of another kind, listing the kinds it takes and `moduleType`', async () => {
    const notes = join(scratch, 'notes');
    writeFileSync(notes, 'neither WebAssembly nor JavaScript');
    const attempt = async () => settled(preparer.prepare(name === 'Node' ? notes : `${SITE}notes`));
    expect((await rejection(attempt())).message).toMatch(
      /^Expected `module` to be a \.wasm, \.js, \.mjs or AssemblyScript \.ts file, got .*notes.*, which is neither WebAssembly \(no \\0asm magic\) nor of a JavaScript MIME type; pass `moduleType: 'js'`/,
    );
  });

  it('a file whose name does not say what it is: WebAssembly by its magic, or as `moduleType` says', async () => {
    const copy = join(scratch, 'kernels');
    copyFileSync(built('kernels.wasm'), copy);
    const wasm = await settled(preparer.prepare(name === 'Node' ? copy : `${SITE}kernels`));
    expect(wasm.info?.kernels.has('sumF64')).toBe(true);
    const js = await settled(preparer.prepare(name === 'Node' ? JS_TASKS : `${SITE}tasks`, { kind: 'js' }));
    expect(js.spec.kind).toBe('js');
  });

  it('says when a bindings file has no .wasm beside it', async () => {
    const error = await rejection((async () => settled(preparer.prepare(orphan)))());
    expect(error.message).toBe(`${orphan} looks like AssemblyScript bindings, but ${orphan.replace(/\.js$/, '.wasm')} is not beside it`);
  });
});

describe('where the platforms differ: when a file is read', () => {
  it('Node throws at once for a missing file; a browser fails the module once the fetch says 404', async () => {
    expect(thrown(() => forNode(nodeReader).prepare('/nonexistent/k.wasm')).message).toBe(
      'Expected `module` to name an existing file, but /nonexistent/k.wasm does not exist',
    );
    const error = await rejection(settled(forBrowser(browserReader).prepare(`${SITE}missing.wasm`)));
    expect(error.message).toBe(`Could not fetch the task module ${SITE}missing.wasm: HTTP 404 Not Found`);
  });

  it('a browser .wasm URL has no signatures until its bytes arrive, then the same ones as on Node', async () => {
    const prepared = forBrowser(browserReader).prepare(`${SITE}faults.wasm`);
    expect(prepared.info).toBeUndefined();
    await settled(prepared);
    expect(prepared.info?.kernels).toEqual(forNode(nodeReader).prepare(FAULTS_WASM).info?.kernels);
  });

  it('a browser cannot compile AssemblyScript source and says to build it first', () => {
    expect(thrown(() => forBrowser(browserReader).prepare(`${SITE}kernel.ts`)).message).toMatch(
      /AssemblyScript source https:\/\/example\.test\/app\/kernel\.ts; compiling needs Node: run `npx wasmpool build kernel\.ts -o kernel\.wasm`/,
    );
  });

  it('Node refuses an http URL, naming `module`', () => {
    expect(thrown(() => forNode(nodeReader).prepare(`${SITE}faults.wasm`)).message).toBe(
      `Expected \`module\` to be a file path or file: URL in Node, got ${SITE}faults.wasm`,
    );
  });

  it('a browser JS module by URL with no telling name is told by its MIME type', async () => {
    const { spec } = await settled(forBrowser(browserReader).prepare(`${SITE}tasks`));
    expect(spec).toEqual({ kind: 'js', url: `${SITE}tasks` });
  });

  it('the browser’s built-in kernels are inside its JavaScript: compiled on first use, with no fetch', () => {
    const fetched = vi.fn(fetch);
    vi.stubGlobal('fetch', fetched);
    try {
      const builtin = forBrowser(browserReader).prepare(undefined);
      expect(builtin.label).toBe('wasmpool built-in kernels');
      expect(builtin.info?.kernels.has('add')).toBe(true);
      expect(fetched).not.toHaveBeenCalled();
    } finally {
      vi.stubGlobal('fetch', fetched.getMockImplementation());
    }
    expect(builtinKernelBytes()).toEqual(new Uint8Array(readFileSync(built('kernels.wasm'))));
    expect(builtinKernelBytes('relaxed')).toEqual(new Uint8Array(readFileSync(built('kernels-relaxed.wasm'))));
  });

  it('a failed built-in load is kept and reported by every Pool that needs it', () => {
    const failing = createModulePreparer(browserReader, () => {
      throw new Error('no bytes');
    });
    for (let i = 0; i < 2; i++) expect(thrown(() => failing.prepare(undefined)).message).toBe('The built-in kernels could not be loaded: no bytes');
  });
});
