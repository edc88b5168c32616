import type { TestContext } from 'vitest';
import type { BackendFactory } from '../../harness/backend/contract.ts';

/**
 * Skip the running test when the backend cannot run here, printing why (never a silent pass).
 * Returns true when the test should go on.
 */
export async function requireAvailable(factory: BackendFactory, ctx: TestContext): Promise<boolean> {
  const availability = await factory.availability();
  if (availability.available) return true;
  const reason = `${factory.id} unavailable: ${availability.reason} (fix: ${availability.fix})`;
  console.warn(`SKIP ${reason}`);
  ctx.skip(reason);
  return false;
}
