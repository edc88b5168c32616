import { UsageError } from '../../core/errors.ts';
import { parseBackendIdList } from '../backend-id-list.ts';
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
      : parseBackendIdList('--backends', backendsArg, registered);
  const required =
    requireArg === undefined
      ? []
      : requireArg.trim() === 'all'
        ? [...backends]
        : parseBackendIdList('--require', requireArg, registered);
  for (const id of required) {
    if (!backends.includes(id)) {
      throw new UsageError(
        `--require ${id}: ${id} is not among --backends (${backends.join(',')}); add it to --backends or drop it from --require`,
      );
    }
  }
  return { backends, required, full };
}
