import { join, resolve } from 'node:path';
import type { BackendFactory } from '../core/backend/contract.ts';
import { BackendUnavailable } from '../core/errors.ts';
import type { ModelDir } from '../core/model/model-dir.ts';
import { type ModelIdentity, modelIdentity } from '../engine/model/model-identity.ts';
import { listGraphVariants } from '../engine/model/select-graph.ts';
import { isGeneratedModelName, loadModelDir } from '../engine/model-gen/load-model-dir.ts';

/** Whether one backend here can compute one graph: opened (placements checked), or why not. */
export type GraphVerdict =
  | { readonly status: 'runs' }
  | { readonly status: 'unavailable'; readonly reason: string; readonly fix: string }
  | { readonly status: 'error'; readonly error: string };

export interface GraphSupport {
  readonly graph: ModelIdentity['graph'];
  /** Backend id → verdict, for every backend that is available on this machine. */
  readonly verdicts: Readonly<Record<string, GraphVerdict>>;
}

/**
 * Every graph variant of a model dir, and which of `factories` can run each: each backend is
 * opened on each graph (which is where a provider refuses an op, a float16 graph or the TS kernels
 * a graph they do not compute) and closed again; nothing is decoded.
 */
export async function graphSupport(
  modelArg: string,
  factories: readonly BackendFactory[],
  progress: (line: string) => void,
): Promise<{
  readonly model: { readonly name: string; readonly path: string };
  readonly graphs: GraphSupport[];
}> {
  // The variants present, whichever graph config.json names as the default (it may be absent).
  const dir = isGeneratedModelName(modelArg) ? (await loadModelDir(modelArg)).path : resolve(modelArg);
  const variants = listGraphVariants(dir);
  if (variants.length === 0) await loadModelDir(modelArg); // throws the message that says what is missing
  let model: ModelDir | undefined;
  const graphs: GraphSupport[] = [];
  for (const variant of variants) {
    model = await loadModelDir(modelArg, { onnx: join(dir, variant.file) });
    const verdicts: Record<string, GraphVerdict> = {};
    for (const factory of factories) {
      progress(`${factory.id} on ${variant.file}`);
      verdicts[factory.id] = await openOnce(factory, model);
    }
    graphs.push({ graph: (await modelIdentity(model)).graph, verdicts });
  }
  // variants is not empty here (else loadModelDir threw), so the loop loaded at least one graph.
  const { name, path } = model!;
  return { model: { name, path }, graphs };
}

async function openOnce(factory: BackendFactory, model: ModelDir): Promise<GraphVerdict> {
  try {
    const source = await factory.create(model, {});
    await source.dispose();
    return { status: 'runs' };
  } catch (error) {
    if (error instanceof BackendUnavailable)
      return { status: 'unavailable', reason: error.reason, fix: error.fix };
    return { status: 'error', error: error instanceof Error ? error.message : String(error) };
  }
}
