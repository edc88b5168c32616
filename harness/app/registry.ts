import { onnxF64Factory } from '../../backends/onnx-f64/factories.ts';
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
import type { BackendFactory, BackendOptions, LogitsSource } from '../core/backend/contract.ts';
import { openBackend } from '../core/backend/open-backend.ts';
import { UsageError } from '../core/errors.ts';
import { type ModelDir, safetensorsDescribeGraph } from '../core/model/model-dir.ts';
import { parseBackendIdList } from './backend-id-list.ts';

/** Every backend id the harness knows, in report order. Registration is explicit: no discovery. */
const FACTORIES: readonly BackendFactory[] = [
  tsF64Factory,
  tsF32Factory,
  onnxF64Factory,
  ortNodeCpuFactory,
  ortNodeCudaFactory,
  ortNodeWebGpuFactory,
  ortWebWasmFactory,
  chromiumWasmFactory,
  chromiumWebGpuFactory,
];

/** The reference every other backend is measured against (naive float64 kernels over model.safetensors). */
export const REFERENCE_BACKEND_ID = 'ts:f64';

/** The reference where ts:f64 cannot compute the graph that runs: that graph interpreted in float64. */
export const GRAPH_REFERENCE_BACKEND_ID = 'onnx:f64';

/**
 * The default reference for a model: ts:f64 where model.safetensors holds the weights of the graph
 * that runs, else onnx:f64 on the graph itself (an ONNX-only dir, a quantized or float16 variant).
 */
export function referenceIdFor(model: ModelDir): string {
  return safetensorsDescribeGraph(model) ? REFERENCE_BACKEND_ID : GRAPH_REFERENCE_BACKEND_ID;
}

/**
 * Why a report's reference is the one it is, in one sentence every report prints: given on the
 * command line, ts:f64 over model.safetensors, or the graph itself on ONNX Runtime's CPU provider
 * because ts:f64 cannot compute that graph.
 */
export function referenceChoice(model: ModelDir, given?: string): string {
  if (given !== undefined) return `${given}, given by --reference`;
  if (safetensorsDescribeGraph(model)) {
    return `${REFERENCE_BACKEND_ID}: float64 kernels over model.safetensors, which holds this graph's weights`;
  }
  const why =
    model.safetensorsPath === null
      ? 'the model dir has no model.safetensors'
      : `${model.graph.file} is not the graph model.safetensors describes`;
  return `${GRAPH_REFERENCE_BACKEND_ID}, the graph itself in float64: ${why}, so ${REFERENCE_BACKEND_ID} cannot compute it`;
}

/** The default reference's factory, for engine code that opens the reference itself. */
export function referenceFactory(model: ModelDir): BackendFactory {
  return backendFactory(referenceIdFor(model));
}

export function allBackendFactories(): readonly BackendFactory[] {
  return FACTORIES;
}

export function backendFactory(id: string): BackendFactory {
  const factory = FACTORIES.find((f) => f.id === id);
  if (!factory) {
    throw new UsageError(
      `unknown backend id ${JSON.stringify(id)}; valid ids: ${FACTORIES.map((f) => f.id).join(', ')} ` +
        '(`decode-harness backends` shows which run here)',
    );
  }
  return factory;
}

/** A --backends list: `all` is every available backend, anything else as parseBackendIdList reads it. */
export async function resolveBackendIds(list: string): Promise<string[]> {
  if (list.trim() === 'all') {
    const available: string[] = [];
    for (const f of FACTORIES) if ((await f.availability()).available) available.push(f.id);
    return available;
  }
  return parseBackendIdList(
    '--backends',
    list,
    FACTORIES.map((f) => f.id),
  );
}

/** Create a backend or throw BackendUnavailable with its reason and fix; never substitutes another. */
export async function createBackend(
  id: string,
  model: ModelDir,
  options: BackendOptions = {},
): Promise<LogitsSource> {
  return openBackend(backendFactory(id), model, options);
}
