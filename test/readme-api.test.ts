// The README is the package's manual: its API section names every public member of Pool and every option, and
// its built-in kernels table every kernel the built-in module exports. Read from the source and the binary, so a
// member, option or kernel added without a line in the README fails here.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** The README's text from the heading `from` up to the next heading of the same or a higher level. */
function section(from: string): string {
  const start = readme.indexOf(`\n${from}\n`);
  expect(start, `README.md has no "${from}" heading`).toBeGreaterThan(0);
  const level = /^#+/.exec(from)![0];
  const next = new RegExp(`\\n#{1,${level.length}} `, 'g');
  next.lastIndex = start + from.length + 2;
  const end = next.exec(readme)?.index ?? readme.length;
  return readme.slice(start, end);
}

/** Names written in backticks in `text`, each also split at its call parentheses (`alloc(Type, n)` → alloc). */
function mentioned(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, code] of text.matchAll(/`([^`]+)`/g)) {
    for (const word of code.matchAll(/[A-Za-z_$][\w$]*/g)) names.add(word[0]);
  }
  return names;
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(new URL(file, root), 'utf8'), ts.ScriptTarget.Latest, true);
}

/** Property names of an exported interface. */
function interfaceKeys(file: string, name: string): string[] {
  const found = parse(file).statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  expect(found, `${name} in ${file}`).toBeDefined();
  return found!.members.flatMap((m) => (m.name && ts.isIdentifier(m.name) ? [m.name.text] : []));
}

/** Public members of class Pool: no `#private`, no `private`, no `@internal`, no constructor. */
function poolMembers(): string[] {
  const source = parse('src/pool.ts');
  const pool = source.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === 'Pool');
  expect(pool).toBeDefined();
  const names = new Set<string>();
  for (const member of pool!.members) {
    if (!member.name || !ts.isIdentifier(member.name)) continue; // #private names and [Symbol.asyncDispose]
    const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
    if (ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'internal')) continue;
    names.add(member.name.text);
  }
  return [...names];
}

describe('README', () => {
  const api = mentioned(section('## API'));

  it('lists every public member of Pool in its API section', () => {
    const members = poolMembers();
    expect(members).toEqual(expect.arrayContaining(['alloc', 'free', 'parallel', 'workers', 'memory', 'stats', 'create', 'istarmap']));
    expect(members.filter((name) => !api.has(name))).toEqual([]);
  });

  it.each([
    ['src/options.ts', 'PoolOptions'],
    ['src/options.ts', 'TaskOptions'],
    ['src/options.ts', 'MapOptions'],
    ['src/parallel/split.ts', 'ParallelOptions'],
    ['src/pool.ts', 'AllocOptions'],
  ])('lists every option of %s %s in its API section', (file, name) => {
    const keys = interfaceKeys(file, name);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !api.has(key))).toEqual([]);
  });

  it('lists every kernel of the built-in module in its built-in kernels table', () => {
    const module = new WebAssembly.Module(readFileSync(new URL('build/kernels.wasm', root)));
    const kernels = WebAssembly.Module.exports(module)
      .filter((entry) => entry.kind === 'function')
      .map((entry) => entry.name);
    expect(kernels).toEqual(expect.arrayContaining(['add', 'square', 'sumF64']));
    const table = mentioned(section('### Built-in kernels'));
    expect(kernels.filter((kernel) => !table.has(kernel))).toEqual([]);
  });

  it('links the generated API reference and CONTRIBUTING.md, and shows the contributor set-up commands', () => {
    expect(readme).toContain('](docs/api/README.md)');
    expect(readme).toContain('](CONTRIBUTING.md)');
    expect(readme).toMatch(/^npm install\b/m);
    expect(readme).toMatch(/^npm test\b/m);
  });
});
