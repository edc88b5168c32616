import { UsageError } from '../../core/errors.ts';
import type { MainJobOptions } from './main-job-record.ts';

/**
 * The main job's `--backends`, `--require` and `--full`, checked before any work: every id must be
 * registered, listed once, and a required backend must be one that runs. `all` (the default for
 * --backends) is every registered backend; unavailable ones are reported with their fix.
 */
export function resolveMainJobOptions(
  registered: readonly string[],
  backendsArg: string | undefined,
  requireArg: string | undefined,
  full: boolean,
): MainJobOptions {
  const backends =
    backendsArg === undefined || backendsArg.trim() === 'all'
      ? [...registered]
      : parseIdList('--backends', backendsArg, registered);
  const required =
    requireArg === undefined
      ? []
      : requireArg.trim() === 'all'
        ? [...backends]
        : parseIdList('--require', requireArg, registered);
  for (const id of required) {
    if (!backends.includes(id)) {
      throw new UsageError(
        `--require ${id}: ${id} is not among --backends (${backends.join(',')}); add it to --backends or drop it from --require`,
      );
    }
  }
  return { backends, required, full };
}

function parseIdList(flag: string, raw: string, registered: readonly string[]): string[] {
  const known = `valid ids: ${registered.join(', ')}`;
  const ids = raw.split(',').map((s) => s.trim());
  if (ids.every((id) => id === '')) {
    throw new UsageError(
      `${flag} ${JSON.stringify(raw)} names no backend; give ids separated by commas (${known})`,
    );
  }
  const seen = new Set<string>();
  for (const id of ids) {
    if (id === '')
      throw new UsageError(`${flag} ${JSON.stringify(raw)} has an empty entry; remove the extra comma`);
    if (id === 'all')
      throw new UsageError(`${flag} ${JSON.stringify(raw)}: 'all' stands alone, not in a list`);
    if (!registered.includes(id)) {
      throw new UsageError(`${flag}: unknown backend id ${JSON.stringify(id)}; ${known}`);
    }
    if (seen.has(id))
      throw new UsageError(`${flag} ${JSON.stringify(raw)} lists ${id} twice; list each backend once`);
    seen.add(id);
  }
  return ids;
}
