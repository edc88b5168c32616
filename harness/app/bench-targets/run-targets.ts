import os from 'node:os';
import { type MachineRecord, machineRecord } from '../../core/machine.ts';
import { benchModelOf, loadBenchModel } from '../../engine/bench/bench-model.ts';
import { ConformanceGate } from '../../engine/bench/conformance-gate.ts';
import type { Progress } from '../../engine/bench/progress.ts';
import { syntheticPrompt } from '../../engine/bench/synthetic-prompt.ts';
import { type GenerationConfig, HF_DEFAULTS } from '../../engine/decode/generation-config.ts';
import { eosTokenIds } from '../../engine/model/eos-token-ids.ts';
import { backendFactory, referenceFactory } from '../registry.ts';
import { benchSamplingChain, type ChainCost, chainCost } from './micro/processor-tasks.ts';
import {
  backendLane,
  type LaneGroup,
  type LaneName,
  type LaneSample,
  ortLanes,
  promptLogits,
  transformersJsLanes,
} from './target-lanes.ts';

export interface TargetSettings {
  readonly model: string;
  /** Rounds of every lane once each; the order flips every round (ABC CBA …) to cancel drift. */
  readonly rounds: number;
  readonly promptTokens: number;
  readonly newTokens: number;
  /** One intra-op thread for every ORT session of targets 1–4: see README "Benchmarks" for why. */
  readonly threads: number;
  /** Threads of ts:f32 and its peers in targets 5 and 5w, the same on both sides: every core. */
  readonly parallelThreads: number;
  readonly numBeams: number;
  readonly recheck: boolean;
}

export const DEFAULT_TARGET_SETTINGS: TargetSettings = {
  model: 'distilgpt2-shape',
  rounds: 7,
  promptTokens: 16,
  newTokens: 64,
  threads: 1,
  parallelThreads: os.availableParallelism(),
  numBeams: 4,
  recheck: false,
};

/** Chain applications timed after each round (each on fresh logits). */
const CHAIN_APPLICATIONS = 32;

export interface TargetRun {
  readonly settings: TargetSettings;
  readonly createdAt: string;
  readonly machine: MachineRecord;
  /** Per lane, one sample per round, in round order; empty for a lane that did not run. */
  readonly samples: Readonly<Record<LaneName, readonly LaneSample[]>>;
  /** Lanes whose backend failed conformance on the model: the failing checks. */
  readonly refused: Readonly<Partial<Record<LaneName, string>>>;
  /** Per round: what one sampling-chain application costs over the model's real logits. */
  readonly processorCost: readonly ChainCost[];
}

/**
 * Everything the targets table needs, measured in one process on one model: the harness decoding
 * with ort-node:cpu (greedy and beam), the bare ORT loop on the same session, transformers.js
 * generate(), and ts:f32 beside ort-node:cpu and ort-web:wasm on the parallel thread count, each
 * once per round after one warm-up round, plus the processor chain between rounds. Lane order
 * (and session creation order) flips every round to cancel drift.
 */
export async function runTargets(settings: TargetSettings, progress: Progress): Promise<TargetRun> {
  const model = await loadBenchModel(settings.model, {}, (line) => progress.status(line));
  const prompt = syntheticPrompt(settings.promptTokens, model.config.vocab_size, eosTokenIds(model));
  const greedy: GenerationConfig = { ...HF_DEFAULTS, max_new_tokens: settings.newTokens, eos_token_id: [] };
  const beam: GenerationConfig = { ...greedy, num_beams: settings.numBeams };
  const { threads, parallelThreads } = settings;

  progress.status(`${model.name}: hashing the model files`);
  const gate = new ConformanceGate(model, (await benchModelOf(model)).sha256, {
    reference: referenceFactory(model),
    recheck: settings.recheck,
  });
  const refused: Partial<Record<LaneName, string>> = {};
  const verdictFor = async (backendId: string, lanes: LaneName[]): Promise<boolean> => {
    progress.status(`${backendId} on ${model.name}: conformance (cached per model sha)`);
    const verdict = await gate.check(backendFactory(backendId), {
      threads: backendId === 'ort-node:cpu' ? threads : parallelThreads,
    });
    if (verdict.passed) return true;
    const why = `${backendId} failed conformance: ${verdict.failedChecks.map((c) => `${c.name} (${c.detail})`).join('; ')}`;
    for (const lane of lanes) refused[lane] = why;
    progress.note(`REFUSED ${why}`);
    return false;
  };
  // the bare loop runs on ort-node:cpu's own session, so it stands or falls with it
  const ortOk = await verdictFor('ort-node:cpu', ['ours-greedy', 'ours-beam', 'bare-ort', 'ort-parallel']);
  const tsOk = await verdictFor('ts:f32', ['ts-f32']);
  // onnxruntime-web fixes its thread count at its first session in the process: this one
  const wasmOk = await verdictFor('ort-web:wasm', ['ort-web-wasm']);
  await gate.dispose();

  const samples: Record<LaneName, LaneSample[]> = {
    'ours-greedy': [],
    'bare-ort': [],
    'transformers-js': [],
    'ours-beam': [],
    'ts-f32': [],
    'ort-parallel': [],
    'ort-web-wasm': [],
  };
  const chain = benchSamplingChain();
  const processorCost: ChainCost[] = [];
  const logits = ortOk ? await promptLogits(model, prompt) : null;
  progress.status('loading ts:f32');
  const tsGroup = tsOk ? await backendLane('ts-f32', 'ts:f32', model, parallelThreads, greedy) : null;
  // Fresh ONNX Runtime sessions every round: identical sessions in one process differ by up to ~10%
  // in speed depending on where their weights land in memory (measured), so each round draws anew
  // and the median over rounds averages that out instead of baking one draw into every ratio.
  const openers: (() => Promise<LaneGroup | null>)[] = [
    async () => (ortOk ? ortLanes(model, threads, greedy, beam) : null),
    () => transformersJsLanes(model, threads, settings.newTokens),
    async () => (ortOk ? backendLane('ort-parallel', 'ort-node:cpu', model, parallelThreads, greedy) : null),
    async () => (wasmOk ? backendLane('ort-web-wasm', 'ort-web:wasm', model, parallelThreads, greedy) : null),
  ];
  try {
    for (let round = 0; round <= settings.rounds; round++) {
      const label = round === 0 ? 'warm-up' : `round ${round}/${settings.rounds}`;
      const flip = <T>(xs: readonly T[]) => (round % 2 === 0 ? [...xs] : [...xs].reverse());
      const groups: LaneGroup[] = [];
      try {
        progress.status(`${label}: loading the ONNX Runtime and transformers.js sessions`);
        for (const open of flip(openers)) {
          const group = await open();
          if (group) groups.push(group);
        }
        const lanes = [...groups, ...(tsGroup ? [tsGroup] : [])].flatMap((g) => g.lanes);
        for (const lane of flip(lanes)) {
          progress.status(`${label}: ${lane.name}`);
          const sample = await lane.run(prompt);
          if (round > 0) samples[lane.name].push(sample);
        }
      } finally {
        for (const group of groups) await group.dispose();
      }
      if (logits) {
        const cost = chainCost(chain, logits, CHAIN_APPLICATIONS); // round 0 warms the chain up
        if (round > 0) processorCost.push(cost);
      }
    }
  } finally {
    await tsGroup?.dispose();
  }
  progress.done();
  return {
    settings,
    createdAt: new Date().toISOString(),
    machine: machineRecord(),
    samples,
    refused,
    processorCost,
  };
}
