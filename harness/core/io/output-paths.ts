import { accessSync, constants, existsSync, lstatSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { UsageError } from '../errors.ts';

/**
 * Room a command's reports need: the largest (a compare or main-job HTML page with its plots and
 * uPlot inlined) is under 2 MiB; 16 MiB leaves room for a golden directory and a bench set.
 */
const MIN_FREE_BYTES = 16 * 2 ** 20;

/** Kernel and device file systems: no report belongs there (Node's recursive mkdir loops in /proc). */
const SYSTEM_TREES = ['/proc', '/sys', '/dev'];

/**
 * Check, before any work, that reports can be written into `dir`: it is a writable directory, or
 * can be created under one; it is not under a file or in a kernel file system. Returns the
 * resolved path. `flag` names the option in the message (`--out`), `shown` the path as the user gave
 * it (a file's, when its directory is the one checked).
 */
export function checkOutputDir(flag: string, dir: string, shown = dir): string {
  const path = resolve(dir);
  refuseSystemTree(flag, shown, path, 'directory');
  let existing = path;
  while (!existsSync(existing)) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) {
    const where = existing === resolve(shown) ? 'is' : `sits under ${existing}, which is`;
    throw new UsageError(
      `${flag} ${shown} ${where} not a directory; give a directory (it is created if missing)`,
    );
  }
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${shown}: ${existing} is not writable; give a directory you can write to`);
  }
  const { bavail, bsize } = statfsSync(existing);
  if (bavail * bsize < MIN_FREE_BYTES) {
    throw new UsageError(
      `${flag} ${shown}: its file system has ${((bavail * bsize) / 2 ** 20).toFixed(1)} MiB free and reports ` +
        `need up to ${MIN_FREE_BYTES / 2 ** 20} MiB; free some space or give a directory elsewhere`,
    );
  }
  return path;
}

/**
 * Check, before any work, that `file` can be written: a new file in a directory checkOutputDir
 * accepts, or an existing regular file (never a device, FIFO, directory or symbolic link, which a
 * rename would replace).
 */
export function checkOutputFile(flag: string, file: string): string {
  const path = resolve(file);
  refuseSystemTree(flag, file, path, 'path');
  checkOutputDir(flag, dirname(path), file);
  assertReplaceable(path, `${flag} ${file}`);
  return path;
}

function refuseSystemTree(flag: string, given: string, path: string, what: 'directory' | 'path'): void {
  const tree = SYSTEM_TREES.find((root) => path === root || path.startsWith(`${root}${sep}`));
  if (tree)
    throw new UsageError(
      `${flag} ${given} is under ${tree}, a kernel file system; give a ${what} of your own`,
    );
}

/** A path that exists may be replaced only when it is a regular file. */
export function assertReplaceable(path: string, named = path): void {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (stats === undefined || stats.isFile()) return;
  const kind = stats.isDirectory()
    ? 'a directory'
    : stats.isSymbolicLink()
      ? 'a symbolic link'
      : stats.isFIFO()
        ? 'a FIFO'
        : stats.isCharacterDevice() || stats.isBlockDevice()
          ? 'a device'
          : 'not a regular file';
  throw new UsageError(
    `${named} is ${kind}; it is never replaced: give the path of a regular file or a new one`,
  );
}
