import type { BackendFactory } from '../../core/backend/contract.ts';
import { BackendUnavailable } from '../../core/errors.ts';
import { machineRecord } from '../../core/machine.ts';
import { type LoadSample, loadLine, openLoadWindow, sampleLoad } from '../../core/machine-load.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import type { GraphChoice } from '../model/select-graph.ts';
import { BandwidthProber } from './bandwidth-probe.ts';
import { benchBackend } from './bench-backend.ts';
import { benchModelOf, loadBenchModel } from './bench-model.ts';
import {
  BENCH_SCHEMA,
  type BenchRan,
  type BenchReport,
  type BenchResult,
  type BenchSettings,
} from './bench-record.ts';
import { ConformanceGate } from './conformance-gate.ts';
import { availableMemoryBytes, checkPointsFitMemory } from './memory-estimate.ts';
import type { Progress } from './progress.ts';
import { checkDistinctContexts, checkPointsFit, sweepPoints } from './sweep.ts';

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
  /** Memory the sweep may use (default: the machine's available memory now). */
  readonly availableMemoryBytes?: number;
}

/**
 * Every backend on every model at every sweep point. First, before anything is timed: each model
 * loaded and every point checked against its context and the available memory (bad usage stops
 * everything). Then the machine record with its load, the bandwidth prober, and per model and
 * backend: availability, the conformance gate, the timed points. A backend that cannot run, fails
 * the gate or throws gets a result saying so and the others still run. Last, the load again: a
 * busy machine at either end is a warning in the report.
 */
export async function runBench(request: BenchRequest, progress: Progress): Promise<BenchReport> {
  const { settings } = request;
  const points = sweepPoints(settings);
  checkDistinctContexts(points);
  const beams = settings.strategy === 'beam' ? settings.numBeams : 1;
  // float64 backends hold twice the bytes; the estimate takes the widest one asked for
  const dtype = request.backends.some((f) => f.id.endsWith(':f64')) ? 'float64' : 'float32';
  const available = request.availableMemoryBytes ?? availableMemoryBytes();
  const models: ModelDir[] = [];
  for (const spec of request.models) {
    const model = await loadBenchModel(spec, request.graph ?? {}, (line) => progress.status(line));
    checkPointsFit(model, points, settings.newTokens);
    checkPointsFitMemory(model, points, settings.newTokens, beams, dtype, available);
    models.push(model);
  }
  progress.status('sampling the machine load (0.3 s)');
  const loadStart = await sampleLoad();
  const loadDuring = openLoadWindow();
  const machine = machineRecord();
  progress.status('starting the memory-bandwidth probe (256 MiB in a child process)');
  const prober = await BandwidthProber.open();
  const results: BenchResult[] = [];
  try {
    const first = await prober.measure();
    progress.note(
      `memory bandwidth ${first.bestReadGBps.toFixed(1)} GB/s (1 thread ${first.singleThreadReadGBps.toFixed(1)}, ${prober.threads} threads ${first.multiThreadReadGBps.toFixed(1)}); probed again around every repetition`,
    );
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
          const threads = settings.threads;
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
            const rows = await benchBackend({
              factory,
              model,
              benchModel,
              settings,
              points,
              prober,
              cacheBytes: machine.lastLevelCacheBytes,
              progress,
            });
            for (const row of rows) {
              results.push({ ...row, conformance: { passed: true, cached: verdict.cached } });
              progress.note(`${backendId} on ${model.name}: ${rowLine(row)}`);
            }
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
  } finally {
    await prober.close();
  }
  const during = loadDuring.close();
  progress.status('sampling the machine load (0.3 s)');
  const loadEnd = await sampleLoad();
  progress.done();
  const load = { start: loadStart, during, end: loadEnd };
  const warnings = [...busyWarnings(load), ...noisyWarning(results, settings.noisyCv)];
  return {
    schema: BENCH_SCHEMA,
    createdAt: new Date().toISOString(),
    machine: { ...machine, load },
    bandwidth: prober.record(),
    settings,
    results,
    warnings,
  };
}

function rowLine(row: Omit<BenchRan, 'conformance'>): string {
  const tag = (noisy: boolean) => (noisy ? ' (noisy)' : '');
  const { prefill: pp, decode: tg } = row;
  return (
    `batch ${row.point.batch} ${pp.test} ${pp.tokensPerSec.median.toFixed(1)} t/s${tag(pp.noisy)}, ` +
    `${tg.test} ${tg.tokensPerSec.median.toFixed(1)} t/s${tag(tg.noisy)} (medians)`
  );
}

function busyWarnings(load: Record<'start' | 'during' | 'end', LoadSample | null>): string[] {
  const when = {
    start: 'just before the runs',
    during: 'during the runs (on average)',
    end: 'just after the runs',
  };
  return (['start', 'during', 'end'] as const).flatMap((key) => {
    const sample = load[key];
    return sample?.busy
      ? [
          `the machine was busy ${when[key]}: ${loadLine(sample)}; the figures are slower and noisier than an idle machine's — compare runs taken under the same load`,
        ]
      : [];
  });
}

function noisyWarning(results: readonly BenchResult[], noisyCv: number): string[] {
  const figures = results.flatMap((r) => (r.status === 'ran' ? [r.prefill, r.decode] : []));
  const noisy = figures.filter((f) => f.noisy).length;
  if (noisy === 0) return [];
  return [
    `${noisy} of ${figures.length} throughput figures are noisy (coefficient of variation above ${100 * noisyCv}%): trust their medians, not their means, and give them more --repetitions`,
  ];
}
