import type { BackendFactory, LogitsSource } from '../../core/backend/contract.ts';
import { openBackend } from '../../core/backend/open-backend.ts';
import { BackendUnavailable } from '../../core/errors.ts';
import { numLayers } from '../../core/model/model-config.ts';
import { compareBackends } from '../../engine/compare/compare-backends.ts';
import { runConformance } from '../../engine/conformance/run-conformance.ts';
import { goldenSummary } from '../../engine/golden/model-goldens.ts';
import { checkSource } from '../../engine/golden/run-check.ts';
import { selectGoldens } from '../../engine/golden/software-adapter-subset.ts';
import { eosTokenIds } from '../../engine/model/eos-token-ids.ts';
import { referenceChoice, referenceIdFor } from '../registry.ts';
import type { JobContext } from './job-context.ts';
import type { BackendOutcome, GreedyAgreement } from './main-job-record.ts';
import { quickTiming } from './quick-timing.ts';

/** Greedy tokens per prompt compared with the reference. */
const GREEDY_NEW_TOKENS = 16;
/** On a software GPU adapter (~0.5 s a step) fewer: conformance and the goldens cover the rest. */
const SOFTWARE_GREEDY_NEW_TOKENS = 4;

type Ran = Extract<BackendOutcome, { status: 'ran' }>;

/**
 * Conformance, greedy agreement (compare's teacher-forced metrics and near-tie labels), the
 * model's goldens and a quick timing on one backend, against the job's shared reference (the
 * reference backend itself is checked against its own fresh source). An error names the stage it
 * broke in.
 */
export async function checkBackend(
  factory: BackendFactory,
  required: boolean,
  ctx: JobContext,
): Promise<BackendOutcome> {
  const { model, prompts, goldens } = ctx;
  const t0 = performance.now();
  let stage = 'creating it';
  let source: LogitsSource | undefined;
  try {
    ctx.progress(`${factory.id}: opening`);
    source = await openBackend(factory, model);
    const isReference = factory.id === referenceIdFor(model);
    const reference = isReference ? source : await ctx.reference();

    stage = 'conformance';
    ctx.progress(`${factory.id}: conformance on ${source.info.device}`);
    const ids = prompts.map((p) => p.ids);
    const conformance = await runConformance(source, reference, ids, numLayers(model.config));

    stage = 'greedy agreement';
    let greedy: GreedyAgreement | null = null;
    if (!isReference) {
      const software = source.info.deviceKind === 'software-gpu';
      const newTokens = software ? SOFTWARE_GREEDY_NEW_TOKENS : GREEDY_NEW_TOKENS;
      ctx.progress(`${factory.id}: greedy agreement, ${prompts.length} prompts × ${newTokens} tokens`);
      const record = await compareBackends({
        model: { name: model.name, path: model.path, graph: ctx.identity.graph },
        reference,
        referenceChoice: referenceChoice(model),
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

    stage = 'timing';
    if (source.info.deviceKind !== 'software-gpu') ctx.progress(`${factory.id}: timing`);
    const timing = await quickTiming(source, prompts[0]!.ids);
    return {
      id: factory.id,
      required,
      status: 'ran',
      info: source.info,
      conformance,
      greedy,
      goldens: summary,
      timing,
      ms: performance.now() - t0,
    };
  } catch (error) {
    // A backend that cannot compute this model's graph (e.g. ts:* on an ONNX-only dir) is unavailable for it, not broken.
    if (error instanceof BackendUnavailable && stage === 'creating it') {
      ctx.progress(`${factory.id}: unavailable (${error.reason})`);
      return { id: factory.id, required, status: 'unavailable', reason: error.reason, fix: error.fix };
    }
    const message = error instanceof Error ? error.message : String(error);
    ctx.progress(`${factory.id}: ERROR in ${stage}: ${message}`);
    return { id: factory.id, required, status: 'error', error: `${stage}: ${message}` };
  } finally {
    await source?.dispose();
  }
}
