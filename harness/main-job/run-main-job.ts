import type { LogitsSource } from '../backend/contract.ts';
import { allBackendFactories, createBackend, REFERENCE_BACKEND_ID } from '../backend/registry.ts';
import { machineRecord } from '../bench/machine.ts';
import { CONFORMANCE_PROMPTS } from '../conformance/prompts.ts';
import { runConformance } from '../conformance/run-conformance.ts';
import type { DecodeResult } from '../decode/decode-result.ts';
import { greedy } from '../decode/greedy.ts';
import {
  type GoldenSummary,
  goldenSummary,
  loadModelGoldens,
  type ModelGoldens,
} from '../golden/model-goldens.ts';
import { checkSource } from '../golden/run-check.ts';
import { eosTokenIds } from '../model/eos-token-ids.ts';
import { loadModelDir } from '../model/load-model-dir.ts';
import { numLayers } from '../model/model-config.ts';
import type { ModelDir } from '../model/model-dir.ts';
import { loadTokenizer } from '../model/tokenizer.ts';
import {
  type BackendOutcome,
  backendPassed,
  type GreedyAgreement,
  MAIN_JOB_SCHEMA,
  type MainJobRecord,
  type QuickTiming,
} from './main-job-record.ts';

const GREEDY_NEW_TOKENS = 16;
const TIMING_NEW_TOKENS = 32;

/**
 * The main job on one model: every registered backend through conformance, greedy agreement
 * with the reference, a quick timing and the model's committed goldens. `onProgress` receives one
 * line per stage.
 */
export async function runMainJob(
  modelName: string,
  onProgress: (line: string) => void,
): Promise<MainJobRecord> {
  const model = await loadModelDir(modelName);
  const tokenizer = await loadTokenizer(model);
  const prompts = CONFORMANCE_PROMPTS.map((text) => tokenizer.encode(text));
  const goldens = await loadModelGoldens(model);
  if (goldens.status !== 'ready') onProgress(`goldens: ${goldens.reason}`);
  const reference = await createBackend(REFERENCE_BACKEND_ID, model);
  try {
    const referenceGreedy = await greedyAll(reference, model, prompts);
    const backends: BackendOutcome[] = [];
    for (const factory of allBackendFactories()) {
      const availability = await factory.availability();
      if (!availability.available) {
        onProgress(`${factory.id}: unavailable (${availability.reason})`);
        backends.push({
          id: factory.id,
          status: 'unavailable',
          reason: availability.reason,
          fix: availability.fix,
        });
        continue;
      }
      onProgress(`${factory.id}: conformance, greedy agreement, timing, goldens`);
      backends.push(await runOneBackend(factory.id, model, reference, prompts, referenceGreedy, goldens));
    }
    return {
      schema: MAIN_JOB_SCHEMA,
      createdAt: new Date().toISOString(),
      machine: machineRecord(),
      model: { name: model.name, path: model.path },
      referenceId: REFERENCE_BACKEND_ID,
      backends,
      passed: backends.every(backendPassed),
    };
  } finally {
    await reference.dispose();
  }
}

async function runOneBackend(
  id: string,
  model: ModelDir,
  reference: LogitsSource,
  prompts: number[][],
  referenceGreedy: DecodeResult[],
  goldens: ModelGoldens,
): Promise<BackendOutcome> {
  let source: LogitsSource | undefined;
  try {
    source = await createBackend(id, model);
    const conformance = await runConformance(source, reference, prompts, numLayers(model.config));
    const ours = await greedyAll(source, model, prompts);
    return {
      id,
      status: 'ran',
      info: source.info,
      conformance,
      greedy: agreement(ours, referenceGreedy),
      timing: await quickTiming(source, prompts[0]!),
      goldens: await checkGoldens(source, goldens),
    };
  } catch (error) {
    return { id, status: 'error', error: error instanceof Error ? error.message : String(error) };
  } finally {
    await source?.dispose();
  }
}

async function checkGoldens(source: LogitsSource, goldens: ModelGoldens): Promise<GoldenSummary> {
  if (goldens.status !== 'ready') return goldens;
  return goldenSummary(await checkSource(source, goldens.goldens, goldens.textOf));
}

function greedyAll(source: LogitsSource, model: ModelDir, prompts: number[][]): Promise<DecodeResult[]> {
  const config = { maxNewTokens: GREEDY_NEW_TOKENS, eosTokenIds: eosTokenIds(model), recordTopK: 2 };
  return prompts.reduce<Promise<DecodeResult[]>>(
    async (acc, ids) => [...(await acc), await greedy(source, ids, config)],
    Promise.resolve([]),
  );
}

function agreement(ours: DecodeResult[], reference: DecodeResult[]): GreedyAgreement {
  let identical = 0;
  let firstMismatch: GreedyAgreement['firstMismatch'] = null;
  ours.forEach((result, p) => {
    const a = result.sequences[0]!.tokenIds;
    const refSeq = reference[p]!.sequences[0]!;
    const b = refSeq.tokenIds;
    const position = a.findIndex((id, i) => id !== b[i]);
    if (position === -1 && a.length === b.length) {
      identical++;
      return;
    }
    if (firstMismatch) return;
    const at = position === -1 ? Math.min(a.length, b.length) : position;
    const top = refSeq.steps[at]?.top ?? [];
    firstMismatch = {
      prompt: p,
      position: at,
      ours: a[at] ?? -1,
      reference: b[at] ?? -1,
      referenceMargin: top.length >= 2 ? top[0]![1] - top[1]![1] : Number.NaN,
    };
  });
  return { prompts: ours.length, identical, firstMismatch };
}

async function quickTiming(source: LogitsSource, promptIds: number[]): Promise<QuickTiming> {
  const config = { maxNewTokens: TIMING_NEW_TOKENS, eosTokenIds: [], recordTopK: 1 };
  await greedy(source, promptIds, config); // warm-up: first-call allocation and JIT
  const { timing } = await greedy(source, promptIds, config);
  const decodeMs = timing.stepMs.reduce((s, ms) => s + ms, 0);
  return {
    promptTokens: promptIds.length,
    newTokens: TIMING_NEW_TOKENS,
    prefillMs: timing.prefillMs,
    decodeTokensPerSec: (timing.stepMs.length / decodeMs) * 1000,
  };
}
