/**
 * Writes what `wasmpool build` produced without ever writing over what it read: tsc refuses to
 * overwrite its inputs, and so do we, through a symlink too. The bytes go to a new file beside the
 * output, renamed over it (replaceFile), so a symlink at the output is replaced, not written through.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileProblem, kindOf, replaceFile } from '../compile/files.js';

/** A mistake in how the command was called: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Throws a UsageError saying why `out` cannot be written; `inputs` are the files the build read; `what` names it ("`--out`"). */
export function checkOutput(out: string, what: string, inputs: readonly string[]): void {
  const folder = dirname(out);
  const folderProblem = fileProblem(folder);
  if (folderProblem !== undefined && !/is a directory/.test(folderProblem)) {
    throw new UsageError(`Expected ${what} to be in an existing folder, but ${folder} ${folderProblem}; create it first`);
  }
  const link = lstatSync(out, { throwIfNoEntry: false });
  if (!link) return;
  const target = link.isSymbolicLink() ? statSync(out, { throwIfNoEntry: false }) : link;
  const kind = target && kindOf(target);
  if (kind) throw new UsageError(`Expected ${what} to name a file to write, but ${out} is ${kind}`);
  const real = realpathOrSelf(out);
  const input = inputs.find((path) => realpathOrSelf(path) === real);
  if (input !== undefined) {
    const how = link.isSymbolicLink() ? ` (it is a symbolic link to ${real})` : '';
    throw new UsageError(`Refusing to write the module over its own source: ${what} ${out} is ${input}${how}; choose another output path`);
  }
}

export function writeOutput(out: string, bytes: Uint8Array): void {
  replaceFile(out, join(dirname(out), `.${basename(out)}.`), bytes, 0o666);
}
