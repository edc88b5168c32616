import type { ModelIdentity } from '../../engine/model/model-identity.ts';

/**
 * `onnx/model_q4.onnx (q4, 13.0 MB, sha256 1f2e3d4c5b6a)`: which graph a report's figures are of;
 * with external data its files are named and counted in the size and the sha.
 */
export function describeGraph(graph: ModelIdentity['graph']): string {
  const kind = graph.dtype ?? 'custom graph';
  const data = graph.externalData.length === 0 ? '' : ` + ${graph.externalData.join(', ')}`;
  return `${graph.file}${data} (${kind}, ${(graph.bytes / 1e6).toFixed(1)} MB, sha256 ${graph.sha256.slice(0, 12)})`;
}
