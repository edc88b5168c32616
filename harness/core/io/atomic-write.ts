import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { escapeRegExp, removeLeftovers } from '../leftovers.ts';
import { assertReplaceable } from './output-paths.ts';

/**
 * Write a file so readers see the old content or the new, never a torn one: write a sibling
 * temp file, then rename over the target (atomic within one filesystem). A target that exists
 * and is not a regular file (a device, a FIFO, a directory, a link) is refused, never replaced.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  writeFilesAtomic(dirname(path), { [basename(path)]: content });
}

/**
 * Write a set of files into `dir` as one: every file goes to a temp file first, and only when all
 * are written are they renamed into place, so a failure (a full disk, a kill) while writing leaves
 * the old set whole rather than a new report beside an old one.
 */
export function writeFilesAtomic(dir: string, files: Readonly<Record<string, string | Uint8Array>>): void {
  const entries = Object.entries(files).map(([name, content]) => {
    const target = join(dir, name);
    return { target, temp: `${target}.tmp-${process.pid}`, content };
  });
  for (const { target } of entries) assertReplaceable(target);
  mkdirSync(dir, { recursive: true });
  // Temps of a run killed between write and rename, for any file of the set: one directory scan.
  const names = Object.keys(files).map(escapeRegExp).join('|');
  removeLeftovers(dir, new RegExp(`^(?:${names})\\.tmp-(\\d+)$`));
  try {
    for (const { temp, content } of entries) writeFileSync(temp, content);
    for (const { temp, target } of entries) renameSync(temp, target);
  } catch (error) {
    for (const { temp } of entries) rmSync(temp, { force: true });
    throw error;
  }
}
