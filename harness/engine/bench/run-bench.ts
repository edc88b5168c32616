import type { BackendFactory } from '../../core/backend/contract.ts';
import { BackendUnavailable, UsageError } from '../../core/errors.ts';
import { machineRecord } from '../../core/machine.ts';
import { maxPositions } from '../../core/model/model-config.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import type { GraphChoice } from '../model/select-graph.ts';
import { type BandwidthProbe, probeBandwidth } from './bandwidth-probe.ts';
import { benchBackend } from './bench-backend.ts';
import { benchModelOf, loadBenchModel } from './bench-model.ts';
import { BENCH_SCHEMA, type BenchReport, type BenchResult, type BenchSettings } from './bench-record.ts';
import { ConformanceGate } from './conformance-gate.ts';
import type { Progress } from './progress.ts';

export interface BenchRequest {
  /** --model values: shape names, embedded names or directories. */
  readonly models: readonly string[];
  /** The backends to time (registry factories; tests pass unregistered ones). */
  readonly backends: readonly BackendFactory[];
  /** Which graph of each model to run (--dtype / --onnx). */
  readonly graph?: GraphChoice;
  /** The reference the conformance gate checks each backend against on a model (the registry's default). */
  readonly reference: (model: ModelDir) => BackendFactory;
  readonly settings: BenchSettings;
  /** Run the conformance suite even where a cached pass exists. */
  readonly recheck: boolean;
}

/**
 * Every backend on every model: the machine record and the bandwidth probe first (the probe is
 * the roofline's denominator), then per model and backend: availability, the conformance gate,
 * the timed runs. A backend that cannot run, fails the gate or throws gets a result saying so and
 * the others still run; only bad usage (an unknown id, a missing model) stops everything.
 */
export async function runBench(request: BenchRequest, progress: Progress): Promise<BenchReport> {
  // Every model loaded and sized before any timing: a prompt that cannot fit is bad usage.
  const models: ModelDir[] = [];
  for (const spec of request.models) {
    const model = await loadBenchModel(spec, request.graph ?? {}, (line) => progress.status(line));
    const { promptTokens, newTokens } = request.settings;
    const positions = maxPositions(model.config);
    if (promptTokens + newTokens > positions) {
      throw new UsageError(
        `--prompt-tokens ${promptTokens} + --new-tokens ${newTokens} = ${promptTokens + newTokens} positions, ` +
          `more than ${model.name}'s ${positions}; lower them`,
      );
    }
    models.push(model);
  }
  const machine = machineRecord();
  progress.status('probing memory bandwidth (256 MiB, best of 5)');
  const bandwidth: BandwidthProbe = await probeBandwidth();
  progress.note(
    `memory bandwidth ${bandwidth.bestReadGBps.toFixed(1)} GB/s (1 thread ${bandwidth.singleThreadReadGBps.toFixed(1)}, ${bandwidth.threads} threads ${bandwidth.multiThreadReadGBps.toFixed(1)})`,
  );
  const results: BenchResult[] = [];
  for (const model of models) {
    progress.status(`${model.name}: hashing the model files`);
    const benchModel = await benchModelOf(model);
    const gate = new ConformanceGate(model, benchModel.sha256, {
      reference: request.reference(model),
      recheck: request.recheck,
    });
    try {
      for (const factory of request.backends) {
        const backendId = factory.id;
        const availability = await factory.availability();
        if (!availability.available) {
          const reason = `${availability.reason}; ${availability.fix}`;
          progress.note(`${backendId} on ${model.name}: unavailable (${reason})`);
          results.push({ status: 'unavailable', model: benchModel, backendId, reason });
          continue;
        }
        const threads = request.settings.threads;
        try {
          progress.status(`${backendId} on ${model.name}: conformance (cached per model sha)`);
          const verdict = await gate.check(factory, threads === null ? {} : { threads });
          if (!verdict.passed) {
            const failedChecks = verdict.failedChecks.map((c) => ({ name: c.name, detail: c.detail }));
            progress.note(
              `${backendId} on ${model.name}: REFUSED, failed conformance: ${failedChecks.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
            );
            results.push({ status: 'refused', model: benchModel, backendId, failedChecks });
            continue;
          }
          await gate.dispose(); // free the float64 reference before this backend's memory is measured
          const ran = await benchBackend(
            factory,
            model,
            benchModel,
            request.settings,
            bandwidth.bestReadGBps,
            progress,
          );
          results.push({ ...ran, conformance: { passed: true, cached: verdict.cached } });
          progress.note(
            `${backendId} on ${model.name}: ${ran.prefill.test} ${ran.prefill.tokensPerSec.mean.toFixed(1)} t/s, ${ran.decode.test} ${ran.decode.tokensPerSec.mean.toFixed(1)} t/s`,
          );
        } catch (error) {
          // A backend that cannot compute this graph (ts:* on a q4 variant, a fallen-back op) is unavailable for it.
          if (error instanceof BackendUnavailable && error.backendId === backendId) {
            const reason = `${error.reason}; ${error.fix}`;
            progress.note(`${backendId} on ${model.name}: unavailable (${reason})`);
            results.push({ status: 'unavailable', model: benchModel, backendId, reason });
            continue;
          }
          const reason = error instanceof Error ? error.message : String(error);
          progress.note(`${backendId} on ${model.name}: error: ${reason}`);
          results.push({ status: 'error', model: benchModel, backendId, reason });
        }
      }
    } finally {
      await gate.dispose();
    }
  }
  progress.done();
  return {
    schema: BENCH_SCHEMA,
    createdAt: new Date().toISOString(),
    machine,
    bandwidth,
    settings: request.settings,
    results,
  };
}
