/**
 * Reading files that someone else may have put in our way. Every read opens
 * the file first and asks the open descriptor what it is: a FIFO opened
 * non-blocking never blocks, a device or directory is refused, and (where
 * `owner` is given) a file another user owns is not trusted. Checking the
 * descriptor rather than the path leaves no gap for a swap between check and
 * read.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';

/** What a path names, in words for an error message ("a directory"), or undefined for a regular file. */
export function kindOf(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Why `path` cannot be read as a module or source file, or undefined when it is a regular file
 * (through symlinks): "does not exist", "is a directory", ...
 */
export function fileProblem(path: string): string | undefined {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      try {
        lstatSync(path);
        return 'is a symbolic link to a file that does not exist';
      } catch {
        return 'does not exist';
      }
    }
    if (code === 'ENOTDIR') return 'does not exist (a folder on its path is a file)';
    if (code === 'EACCES') return 'cannot be read (permission denied)';
    return `cannot be read (${code ?? (error as Error).message})`;
  }
  const kind = kindOf(stats);
  return kind && `is ${kind}, not a regular file`;
}

/** O_NOFOLLOW and O_NONBLOCK are 0 where the platform lacks them (Windows), which is then a plain open. */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

export interface ReadOptions {
  /** Refuse a symbolic link as the last component (cache files are never links). */
  noFollow?: boolean;
  /** The uid that must own the file (cache files); undefined: any owner. */
  owner?: number;
}

/** The bytes of a regular file, or undefined when it is missing, not a regular file, or not owned by `owner`. */
export function readRegularFile(path: string, options: ReadOptions = {}): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0));
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return undefined;
    if (options.owner !== undefined && stats.uid !== options.owner) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` to `path` atomically: first to `temp` + 96 random bits, created exclusively
 * (O_EXCL: a file or symlink planted at that name makes the open fail, it is never followed), then
 * renamed over `path` (which replaces a symlink there rather than writing through it). A reader
 * never sees half a file.
 */
export function replaceFile(path: string, temp: string, data: string | Uint8Array, mode: number): void {
  const name = `${temp}${randomBytes(12).toString('hex')}`;
  const fd = openSync(name, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
    closeSync(fd);
    renameSync(name, path);
  } catch (error) {
    rmSync(name, { force: true });
    throw error;
  }
}
