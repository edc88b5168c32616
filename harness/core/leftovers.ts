import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a process with this pid exists (signal 0 only asks). EPERM: it exists, not ours. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Temp files and dirs carry their owner's pid in their name; a run killed before its cleanup
 * leaves them behind. Remove the entries of `dir` that `pattern` matches (capture group 1: the
 * pid) whose owner is gone; a live owner's are left alone, whoever it is. Returns what went.
 */
export function removeLeftovers(
  dir: string,
  pattern: RegExp,
  remove: (path: string) => void = (path) => rmSync(path, { recursive: true, force: true }),
): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no dir, nothing left over
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isProcessAlive(pid)) continue;
    remove(join(dir, name));
    removed.push(name);
  }
  return removed;
}

/** A regular expression that matches `text` literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
