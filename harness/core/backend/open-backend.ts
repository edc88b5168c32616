import { BackendUnavailable } from '../errors.ts';
import type { ModelDir } from '../model/model-dir.ts';
import type { Availability, BackendFactory, BackendOptions, LogitsSource } from './contract.ts';

/**
 * Open a backend from its factory, or throw BackendUnavailable with its reason and fix; never
 * substitutes another, and refuses a source that reports running as a different id.
 */
export async function openBackend(
  factory: BackendFactory,
  model: ModelDir,
  options: BackendOptions = {},
): Promise<LogitsSource> {
  const availability: Availability = await factory.availability();
  if (!availability.available)
    throw new BackendUnavailable(factory.id, availability.reason, availability.fix);
  const source = await factory.create(model, options);
  if (source.info.id !== factory.id) {
    const ranAs = source.info.id;
    await source.dispose();
    throw new BackendUnavailable(factory.id, `it reported running as ${ranAs}`, 'report this as a bug');
  }
  return source;
}
