import { UsageError } from '../core/errors.ts';

/**
 * The one reader of a comma-separated list of backend ids (`--backends`, `--require`): every id
 * registered, none empty, none twice; `all` only alone (its meaning is the caller's).
 */
export function parseBackendIdList(flag: string, raw: string, registered: readonly string[]): string[] {
  const known = `valid ids: ${registered.join(', ')} (\`decode-harness backends\` shows which run here)`;
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
