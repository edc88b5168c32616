import type { LogitsSource } from '../../core/backend/contract.ts';

/**
 * `source` reporting its id as `<id> <graph>` (`ort-node:cpu q4`): one backend opened on several
 * graph variants appears in a comparison once per variant.
 */
export function graphLabelledSource(source: LogitsSource, graph: string): LogitsSource {
  return {
    info: { ...source.info, id: `${source.info.id} ${graph}` },
    vocabSize: source.vocabSize,
    maxPositions: source.maxPositions,
    prefill: (rows, options) => source.prefill(rows, options),
    step: (tokens) => source.step(tokens),
    reorder: (sourceRows) => source.reorder(sourceRows),
    reset: () => source.reset(),
    dispose: () => source.dispose(),
    ...(source.outOfProcessMemory ? { outOfProcessMemory: source.outOfProcessMemory } : {}),
  };
}
