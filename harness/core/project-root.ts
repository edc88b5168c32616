import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root: fixtures, caches and reports are found from here, wherever a module sits. */
export const PROJECT_ROOT: string = fileURLToPath(new URL('../../', import.meta.url));

/** A path under the checkout's root, e.g. projectPath('fixtures', 'golden'). */
export function projectPath(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
