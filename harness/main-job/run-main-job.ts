import type { BackendFactory, LogitsSource } from '../backend/contract.ts';
import { backendFactory, createFromFactory, REFERENCE_BACKEND_ID } from '../backend/registry.ts';
import { machineRecord } from '../bench/machine.ts';
import { compareBackends } from '../compare/compare-backends.ts';
import { CONFORMANCE_PROMPTS } from '../conformance/prompts.ts';
import { runConformance } from '../conformance/run-conformance.ts';
import { goldenSummary, loadModelGoldens, type ModelGoldens } from '../golden/model-goldens.ts';
import { checkSource } from '../golden/run-check.ts';
import { selectGoldens } from '../golden/software-adapter-subset.ts';
import { eosTokenIds } from '../model/eos-token-ids.ts';
import { loadModelDir } from '../model/load-model-dir.ts';
import { numLayers } from '../model/model-config.ts';
import type { ModelDir } from '../model/model-dir.ts';
import { loadTokenizer, type Tokenizer } from '../model/tokenizer.ts';
import {
  type BackendOutcome,
  type GreedyAgreement,
  MAIN_JOB_SCHEMA,
  type MainJobOptions,
  type MainJobRecord,
  mainJobCounts,
  type QuickTiming,
} from './main-job-record.ts';
import { quickTiming } from './quick-timing.ts';

/** Greedy tokens per prompt compared with the reference. */
const GREEDY_NEW_TOKENS = 16;
/** On a software GPU adapter (~0.5 s a step) fewer: conformance and the goldens cover the rest. */
const SOFTWARE_GREEDY_NEW_TOKENS = 4;

export interface MainJobInput {
  /** An embedded model's name or a model directory. */
  readonly model: string;
  readonly options: MainJobOptions;
  /** One line per stage, prefixed with the seconds since the start. */
  readonly onProgress: (line: string) => void;
}

/** What every backend's stages share. */
interface JobContext {
  readonly model: ModelDir;
  readonly tokenizer: Tokenizer;
  readonly prompts: readonly { readonly text: string; readonly ids: readonly number[] }[];
  readonly goldens: ModelGoldens;
  readonly full: boolean;
  readonly progress: (line: string) => void;
}

type Ran = Extract<BackendOutcome, { status: 'ran' }>;

/** A backend's outcome before the timing phase. */
type Checked = Exclude<BackendOutcome, Ran> | (Omit<Ran, 'timing'> & { readonly factory: BackendFactory });

/**
 * The main job on one model. Every requested backend goes through conformance, greedy agreement
 * with the reference (compare's metrics and near-tie labels) and the model's goldens (on a software
 * GPU adapter a representative subset unless `full`). Backends that run in a browser form a lane
 * of their own beside this process's, since their arithmetic overlaps with ours; each lane has its
 * own reference source. Timings come last, one backend at a time, so no other lane disturbs them.
 */
export async function runMainJob(input: MainJobInput): Promise<MainJobRecord> {
  const startMs = performance.now();
  const progress = (line: string) =>
    input.onProgress(`[${((performance.now() - startMs) / 1000).toFixed(1)} s] ${line}`);
  const { options } = input;
  const model = await loadModelDir(input.model);
  const tokenizer = await loadTokenizer(model);
  const prompts = CONFORMANCE_PROMPTS.map((text) => ({ text, ids: tokenizer.encode(text) }));
  const goldens = await loadModelGoldens(model);
  if (goldens.status !== 'ready') progress(`goldens: ${goldens.reason}`);
  const ctx: JobContext = { model, tokenizer, prompts, goldens, full: options.full, progress };

  const factories = options.backends.map(backendFactory);
  const checked = new Map<string, Checked>();
  const runnable: BackendFactory[] = [];
  for (const factory of factories) {
    const required = options.required.includes(factory.id);
    const availability = await factory.availability();
    if (availability.available) runnable.push(factory);
    else {
      progress(`${factory.id}: unavailable (${availability.reason})`);
      checked.set(factory.id, { id: factory.id, required, status: 'unavailable', ...availability });
    }
  }
  const lanes = (['node', 'browser'] as const)
    .map((where) => runnable.filter((f) => f.runsIn === where))
    .filter((lane) => lane.length > 0);
  await Promise.all(
    lanes.map(async (lane) => {
      for (const factory of lane) {
        checked.set(factory.id, await checkBackend(factory, options.required.includes(factory.id), ctx));
      }
    }),
  );

  const backends: BackendOutcome[] = [];
  for (const factory of factories) {
    const outcome = checked.get(factory.id)!;
    if (outcome.status !== 'ran') {
      backends.push(outcome);
      continue;
    }
    const { factory: _, ...ran } = outcome;
    backends.push({ ...ran, timing: await timeBackend(outcome, model, prompts[0]!.ids, progress) });
  }
  const counts = mainJobCounts(backends);
  return {
    schema: MAIN_JOB_SCHEMA,
    createdAt: new Date().toISOString(),
    wallMs: performance.now() - startMs,
    machine: machineRecord(),
    model: { name: model.name, path: model.path },
    referenceId: REFERENCE_BACKEND_ID,
    options,
    backends,
    counts,
    passed: counts.failed === 0 && counts.requiredNotPassed === 0,
  };
}

/** Conformance, greedy agreement and goldens on one backend; an error names the stage it broke in. */
async function checkBackend(factory: BackendFactory, required: boolean, ctx: JobContext): Promise<Checked> {
  const { model, prompts, goldens } = ctx;
  const t0 = performance.now();
  let stage = 'creating it';
  let source: LogitsSource | undefined;
  let reference: LogitsSource | undefined;
  try {
    ctx.progress(`${factory.id}: opening`);
    source = await createFromFactory(factory, model);
    const software = source.info.deviceKind === 'software-gpu';
    const isReference = factory.id === REFERENCE_BACKEND_ID;
    reference = isReference ? source : await createFromFactory(backendFactory(REFERENCE_BACKEND_ID), model);

    stage = 'conformance';
    ctx.progress(`${factory.id}: conformance (${source.info.device})`);
    const ids = prompts.map((p) => p.ids);
    const conformance = await runConformance(source, reference, ids, numLayers(model.config));

    stage = 'greedy agreement';
    let greedy: GreedyAgreement | null = null;
    if (!isReference) {
      const newTokens = software ? SOFTWARE_GREEDY_NEW_TOKENS : GREEDY_NEW_TOKENS;
      ctx.progress(`${factory.id}: greedy agreement, ${prompts.length} prompts × ${newTokens} tokens`);
      const record = await compareBackends({
        model: { name: model.name, path: model.path },
        reference,
        backends: [source],
        prompts,
        maxNewTokens: newTokens,
        eosTokenIds: eosTokenIds(model),
        tokenText: (id) => ctx.tokenizer.tokenText(id),
        gates: {},
      });
      greedy = { newTokens, comparison: record.backends[0]! };
    }

    stage = 'goldens';
    let summary: Ran['goldens'];
    if (goldens.status === 'ready') {
      const selection = selectGoldens(goldens.goldens, source.info, ctx.full);
      ctx.progress(`${factory.id}: goldens, ${selection.run.length} of ${goldens.goldens.length} cases`);
      summary = goldenSummary(await checkSource(source, selection.run, goldens.textOf), selection);
    } else summary = goldens;

    return {
      id: factory.id,
      required,
      status: 'ran',
      factory,
      info: source.info,
      conformance,
      greedy,
      goldens: summary,
      ms: performance.now() - t0,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.progress(`${factory.id}: ERROR in ${stage}: ${message}`);
    return { id: factory.id, required, status: 'error', error: `${stage}: ${message}` };
  } finally {
    if (reference && reference !== source) await reference.dispose();
    await source?.dispose();
  }
}

/** The quiet-phase timing of a backend that passed through its checks. */
async function timeBackend(
  outcome: Extract<Checked, { status: 'ran' }>,
  model: ModelDir,
  promptIds: readonly number[],
  progress: (line: string) => void,
): Promise<QuickTiming> {
  if (outcome.info.deviceKind === 'software-gpu') {
    return {
      status: 'not-meaningful',
      reason: `${outcome.info.device} is a software GPU: its speed says nothing about any GPU`,
    };
  }
  progress(`${outcome.id}: timing`);
  return quickTiming(outcome.factory, model, promptIds);
}
