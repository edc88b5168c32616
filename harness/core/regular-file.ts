import { type Stats, statSync } from 'node:fs';
import { type HarnessError, UsageError } from './errors.ts';

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Inputs are read only from regular files: reading a FIFO or /dev/zero would block or never end,
 * and a directory fails deep inside a reader. `what` names the input (`--cases`, `config.json`),
 * `fix` says what to give instead; the error is `ErrorClass` (exit 2).
 */
export function assertRegularFile(
  path: string,
  what: string,
  fix: string,
  ErrorClass: new (message: string) => HarnessError = UsageError,
): void {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ErrorClass(`${what} ${path}: ${problem}; ${fix}`);
  }
  if (!stats.isFile())
    throw new ErrorClass(`${what} ${path} is ${kindOf(stats)}, not a regular file; ${fix}`);
}
