import { machineRecord } from '../../core/machine.ts';
import type { GraphChoice } from '../../engine/model/select-graph.ts';
import { backendFactory, referenceChoice, referenceIdFor } from '../registry.ts';
import { checkBackend } from './check-backend.ts';
import { openJobContext } from './job-context.ts';
import {
  type BackendOutcome,
  MAIN_JOB_SCHEMA,
  type MainJobOptions,
  type MainJobRecord,
  mainJobCounts,
} from './main-job-record.ts';

export interface MainJobInput {
  /** An embedded model's name or a model directory. */
  readonly model: string;
  /** Which graph of the model dir the ONNX backends run (--dtype / --onnx). */
  readonly graph: GraphChoice;
  readonly options: MainJobOptions;
  /** One line per stage, prefixed with the seconds since the start. */
  readonly onProgress: (line: string) => void;
}

/**
 * The main job on one model. Every requested backend goes through conformance, greedy agreement
 * with the reference and the model's goldens (on a software GPU adapter a representative subset
 * unless `full`) and a quick timing, one backend at a time.
 */
export async function runMainJob(input: MainJobInput): Promise<MainJobRecord> {
  const startMs = performance.now();
  const progress = (line: string) =>
    input.onProgress(`[${((performance.now() - startMs) / 1000).toFixed(1)} s] ${line}`);
  const { options } = input;
  const ctx = await openJobContext(input.model, input.graph, options.full, progress);
  if (ctx.goldens.status !== 'ready') progress(`goldens: ${ctx.goldens.reason}`);

  // One backend at a time: the checks are compute-bound, so on a small machine backends side by
  // side only share the cores (the browser backends in a process of their own made the job slower).
  const backends: BackendOutcome[] = [];
  try {
    for (const factory of options.backends.map(backendFactory)) {
      const required = options.required.includes(factory.id);
      const availability = await factory.availability();
      if (availability.available) backends.push(await checkBackend(factory, required, ctx));
      else {
        progress(`${factory.id}: unavailable (${availability.reason})`);
        backends.push({ id: factory.id, required, status: 'unavailable', ...availability });
      }
    }
  } finally {
    await ctx.dispose();
  }
  const counts = mainJobCounts(backends);
  return {
    schema: MAIN_JOB_SCHEMA,
    createdAt: new Date().toISOString(),
    wallMs: performance.now() - startMs,
    machine: machineRecord(),
    model: { name: ctx.model.name, path: ctx.model.path, graph: ctx.identity.graph },
    referenceId: referenceIdFor(ctx.model),
    referenceChoice: referenceChoice(ctx.model),
    options,
    backends,
    counts,
    passed: counts.failed === 0 && counts.requiredNotPassed === 0,
  };
}
