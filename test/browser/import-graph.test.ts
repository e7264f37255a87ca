// The browser build must not reach any Node module: walk every static and dynamic import (and the
// worker entry, loaded by URL) from dist/browser.js and check each one is a relative file of the package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
// Import/export statements at the start of a line, dynamic import() of a literal, and new URL('x.js', import.meta.url).
const REFERENCES = [
  /^\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /new URL\(\s*['"]([^'"]+\.js)['"]\s*,\s*import\.meta\.url\s*\)/g,
];

function graph(entry: string): { files: string[]; outside: string[] } {
  const seen = new Set<string>();
  const outside: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const pattern of REFERENCES) {
      for (const match of source.matchAll(pattern)) {
        const specifier = match[1];
        if (!specifier.startsWith('.')) outside.push(`${relative(DIST, file)} → ${specifier}`);
        else visit(resolve(dirname(file), specifier));
      }
    }
  };
  visit(resolve(DIST, entry));
  return { files: [...seen].map((f) => relative(DIST, f)), outside };
}

test('dist/browser.js and the Web Worker entry import only files of the package, never node: modules', () => {
  expect(existsSync(resolve(DIST, 'browser.js'))).toBe(true);
  const { files, outside } = graph('browser.js');
  expect(outside).toEqual([]);
  // The walk really followed the graph: the transport, the worker entry and the shared task loop are in it.
  expect(files).toEqual(expect.arrayContaining(['browser.js', 'transport/browser.js', 'worker/browser-entry.js', 'worker/runtime.js', 'pool.js']));
  expect(files).not.toContain('transport/node.js');
  expect(files).not.toContain('modules/node-reader.js');
  expect(files).not.toContain('compile/compile.js');
});

test('the Node entry is not reachable from the browser entry, and the Node entry does reach node: modules (the walk can see them)', () => {
  expect(graph('index.js').outside.some((edge) => edge.includes('node:'))).toBe(true);
  expect(graph('browser.js').files).not.toContain('index.js');
});

test('transport/ stays a thin adapter: it imports neither the WASM tooling in wasm/ nor the module preparation', () => {
  // The worker a transport spawns (by URL) does instantiate modules; only the transport's own imports count.
  const inWorkers = new Set([...graph('worker/browser-entry.js').files, ...graph('worker/node-entry.js').files]);
  for (const entry of ['transport/browser.js', 'transport/node.js']) {
    const own = graph(entry).files.filter((file) => !inWorkers.has(file));
    expect(own).toContain(entry);
    expect(own.filter((file) => file.startsWith('wasm/') || file === 'modules/prepare.js')).toEqual([]);
  }
});
