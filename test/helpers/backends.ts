import type { TestContext } from 'vitest';
import { createBackend } from '../../harness/app/registry.ts';
import type { BackendFactory, LogitsSource } from '../../harness/core/backend/contract.ts';
import { BackendUnavailable } from '../../harness/core/errors.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { softwareAdapterSkip } from './full-matrix.ts';

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

/**
 * Create `factory`'s backend on `model`, or skip the running test, printing why, when the backend
 * cannot run that model here (BackendUnavailable at creation: e.g. a float16 graph on a WebGPU
 * adapter without shader-f16) or is a software GPU adapter outside its model (full-matrix.ts). The
 * refusal is remembered in `refusals` so later tests of the same backend and model skip at once
 * instead of starting a browser again.
 */
export async function createOrSkip(
  factory: BackendFactory,
  model: ModelDir,
  ctx: TestContext,
  refusals: Map<string, string>,
): Promise<LogitsSource> {
  const key = `${factory.id} ${model.path}`;
  const known = refusals.get(key);
  if (known === undefined) {
    try {
      const source = await createBackend(factory.id, model);
      const outside = softwareAdapterSkip(source.info, factory.id, model.name);
      if (outside === null) return source;
      await source.dispose();
      refusals.set(key, outside);
      console.warn(`SKIP ${outside}`);
    } catch (err) {
      if (!(err instanceof BackendUnavailable)) throw err;
      refusals.set(key, err.message);
      console.warn(`SKIP ${err.message}`);
    }
  }
  ctx.skip(refusals.get(key)!);
  throw new Error('unreachable: ctx.skip throws');
}
