import {
  ortNodeCpuFactory,
  ortNodeCudaFactory,
  ortNodeWebGpuFactory,
} from '../../backends/ort-node/factories.ts';
import {
  chromiumWasmFactory,
  chromiumWebGpuFactory,
  ortWebWasmFactory,
} from '../../backends/ort-web/factories.ts';
import { tsF32Factory, tsF64Factory } from '../../backends/ts-kernels/factories.ts';
import { BackendUnavailable, UsageError } from '../errors.ts';
import type { ModelDir } from '../model/model-dir.ts';
import type { Availability, BackendFactory, BackendOptions, LogitsSource } from './contract.ts';

/** Every backend id the harness knows, in report order. Registration is explicit: no discovery. */
const FACTORIES: readonly BackendFactory[] = [
  tsF64Factory,
  tsF32Factory,
  ortNodeCpuFactory,
  ortNodeCudaFactory,
  ortNodeWebGpuFactory,
  ortWebWasmFactory,
  chromiumWasmFactory,
  chromiumWebGpuFactory,
];

/** The reference every other backend is measured against (naive float64 kernels). */
export const REFERENCE_BACKEND_ID = 'ts:f64';

export function allBackendFactories(): readonly BackendFactory[] {
  return FACTORIES;
}

export function backendFactory(id: string): BackendFactory {
  const factory = FACTORIES.find((f) => f.id === id);
  if (!factory) {
    throw new UsageError(
      `unknown backend id ${JSON.stringify(id)}; known ids: ${FACTORIES.map((f) => f.id).join(', ')} ` +
        '(`decode-harness backends` shows which run here)',
    );
  }
  return factory;
}

/** Parse a comma-separated --backends list; `all` means every available backend. */
export async function resolveBackendIds(list: string): Promise<string[]> {
  const ids = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (ids.length === 0) throw new UsageError(`--backends ${JSON.stringify(list)} names no backend`);
  if (ids.length === 1 && ids[0] === 'all') {
    const available: string[] = [];
    for (const f of FACTORIES) if ((await f.availability()).available) available.push(f.id);
    return available;
  }
  for (const [i, id] of ids.entries()) {
    backendFactory(id);
    if (ids.indexOf(id) !== i)
      throw new UsageError(`--backends ${JSON.stringify(list)} lists ${id} twice; list each backend once`);
  }
  return ids;
}

/** Create a backend or throw BackendUnavailable with its reason and fix; never substitutes another. */
export async function createBackend(
  id: string,
  model: ModelDir,
  options: BackendOptions = {},
): Promise<LogitsSource> {
  return createFromFactory(backendFactory(id), model, options);
}

/** The checks createBackend makes, for any factory (tests use unregistered ones). */
export async function createFromFactory(
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
