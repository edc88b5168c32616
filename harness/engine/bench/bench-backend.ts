import type { BackendFactory, LogitsSource } from '../../core/backend/contract.ts';
import { openBackend } from '../../core/backend/open-backend.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { percentile, summarize } from '../../core/statistics.ts';
import { eosTokenIds } from '../model/eos-token-ids.ts';
import { loadTokenizer, type Tokenizer } from '../model/tokenizer.ts';
import type { BandwidthProber } from './bandwidth-probe.ts';
import { benchGenerationConfig } from './bench-config.ts';
import type { BenchModel, BenchRan, BenchSettings, SweepPoint, ThroughputFigure } from './bench-record.ts';
import { type RepetitionTiming, timeBatchedGreedy, timeDecode } from './decode-timing.ts';
import { gpuMemorySampler } from './gpu-memory.ts';
import { openPeakWindow, type PeakWindow, peakRss } from './peak-memory.ts';
import type { Progress } from './progress.ts';
import { kvCacheBytesPerToken, type RepetitionWindow, windowedRoofline } from './roofline.ts';
import { decodeTest, prefillTest } from './sweep.ts';
import { syntheticPrompt } from './synthetic-prompt.ts';
import { TimedSource } from './timed-source.ts';

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

/** What every point of one backend on one model shares. */
export interface BackendBench {
  readonly factory: BackendFactory;
  readonly model: ModelDir;
  readonly benchModel: BenchModel;
  readonly settings: BenchSettings;
  readonly points: readonly SweepPoint[];
  /** Probed before the first repetition of a point and after each one. */
  readonly prober: BandwidthProber;
  /** The machine's largest cache (MachineRecord.lastLevelCacheBytes). */
  readonly cacheBytes: number | null;
  readonly progress: Progress;
}

/**
 * Time one backend on one model that has passed the conformance gate, at every sweep point:
 * `warmup` untimed repetitions (JIT, allocator and ORT arena warm-up), then `repetitions` timed
 * ones with a bandwidth probe before the first and after each. The backend is created once, after
 * the first point's peak-memory window opens, so that point's peak includes loading the model.
 */
export async function benchBackend(bench: BackendBench): Promise<Omit<BenchRan, 'conformance'>[]> {
  const { factory, model, settings } = bench;
  let window = await openPeakWindow();
  const source = await openBackend(
    factory,
    model,
    settings.threads === null ? {} : { threads: settings.threads },
  );
  try {
    const tokenizer = await loadTokenizer(model);
    const rows: Omit<BenchRan, 'conformance'>[] = [];
    for (const [i, point] of bench.points.entries()) {
      if (i > 0) window = await openPeakWindow();
      rows.push(await benchPoint(bench, source, tokenizer, point, window));
    }
    return rows;
  } finally {
    await source.dispose();
  }
}

async function benchPoint(
  bench: BackendBench,
  source: LogitsSource,
  tokenizer: Tokenizer,
  point: SweepPoint,
  window: PeakWindow,
): Promise<Omit<BenchRan, 'conformance'>> {
  const { model, settings, progress } = bench;
  const avoid = eosTokenIds(model);
  const prompts = Array.from({ length: point.batch }, (_, row) =>
    syntheticPrompt(point.contextTokens, model.config.vocab_size, avoid, row),
  );
  const config = benchGenerationConfig(settings);
  const timed = new TimedSource(source);
  const once = (): Promise<RepetitionTiming> =>
    point.batch === 1
      ? timeDecode(timed, prompts[0]!, config)
      : timeBatchedGreedy(timed, prompts, settings.newTokens);

  const label = `${source.info.id} on ${model.name} ${prefillTest(point)} batch ${point.batch}`;
  for (let w = 0; w < settings.warmup; w++) {
    progress.status(`${label}: warm-up ${w + 1}/${settings.warmup}`);
    await once();
  }
  const gpu = gpuMemorySampler(source.info);
  const timings: RepetitionTiming[] = [];
  const windows: RepetitionWindow[] = [];
  const tokenizeMs: number[] = [];
  const detokenizeMs: number[] = [];
  const promptText = tokenizer.decode(prompts[0]!);
  let before = await bench.prober.measure();
  for (let r = 0; r < settings.repetitions; r++) {
    const timing = await once();
    const after = await bench.prober.measure();
    gpu.sample();
    timings.push(timing);
    windows.push({
      tokensPerSec: decodeTokensPerSec(timing),
      bandwidthGBps: Math.max(before.bestReadGBps, after.bestReadGBps),
    });
    before = after;
    let t0 = performance.now();
    tokenizer.encode(promptText);
    tokenizeMs.push(performance.now() - t0);
    t0 = performance.now();
    tokenizer.decode(timing.tokenIds);
    detokenizeMs.push(performance.now() - t0);
    progress.status(
      `${label}: repetition ${r + 1}/${settings.repetitions}, tg ${decodeTokensPerSec(timing).toFixed(1)} t/s`,
    );
  }

  const beams = settings.strategy === 'beam' ? settings.numBeams : 1;
  // Process CPU time is one thread's work only when the backend computes on one thread, in this process.
  const cpuTimed = source.info.threads === 1 && source.outOfProcessMemory === undefined;
  const figure = (test: string, wall: number[], cpu: number[]): ThroughputFigure => {
    const tokensPerSec = summarize(wall);
    return {
      test,
      tokensPerSec,
      noisy: tokensPerSec.cv > settings.noisyCv,
      cpuTokensPerSec: cpuTimed && cpu.every((x) => Number.isFinite(x)) ? summarize(cpu) : null,
    };
  };
  const prefillTokens = (t: RepetitionTiming) => t.rows * t.promptTokens * 1000;
  const decodeTokens = (t: RepetitionTiming) => t.rows * t.stepMs.length * 1000;
  return {
    status: 'ran',
    model: bench.benchModel,
    backend: source.info,
    point,
    prefill: figure(
      prefillTest(point),
      timings.map((t) => prefillTokens(t) / t.prefillMs),
      timings.map((t) => prefillTokens(t) / t.prefillCpuMs),
    ),
    decode: {
      ...figure(
        decodeTest(point, settings.newTokens),
        timings.map(decodeTokensPerSec),
        timings.map((t) => decodeTokens(t) / sum(t.stepCpuMs)),
      ),
      roofline: windowedRoofline(
        model.config,
        source.info.dtype,
        {
          promptTokens: point.contextTokens,
          newTokens: settings.newTokens,
          rows: point.batch * beams,
          tokensPerStep: point.batch,
        },
        windows,
        { cacheBytes: bench.cacheBytes, probeBufferBytes: bench.prober.bufferBytes },
      ),
    },
    timeToFirstTokenMs: summarize(timings.map((t) => t.timeToFirstTokenMs)),
    interTokenMs: latencyPercentiles(timings.flatMap((t) => t.tokenGapsMs)),
    choiceMsPerStep: summarize(timings.map((t) => t.choiceMs / t.newTokens)),
    tokenizeMs: summarize(tokenizeMs),
    detokenizeMs: summarize(detokenizeMs),
    memory: {
      ...peakOf(window),
      kvCacheBytes:
        kvCacheBytesPerToken(model.config, source.info.dtype) *
        (point.contextTokens + settings.newTokens) *
        point.batch *
        beams,
      gpu: gpu.result(),
      browserPssBytes: source.outOfProcessMemory?.().pssBytes ?? null,
    },
  };
}

/** Model-time decode throughput: tokens from step calls over their summed time (prefill and choice excluded). */
function decodeTokensPerSec(t: RepetitionTiming): number {
  return (t.rows * t.stepMs.length * 1000) / sum(t.stepMs);
}

function latencyPercentiles(samples: readonly number[]) {
  return {
    p50: percentile(samples, 0.5),
    p90: percentile(samples, 0.9),
    p99: percentile(samples, 0.99),
    samples,
  };
}

function peakOf(window: PeakWindow) {
  const peak = peakRss(window);
  return { peakRssBytes: peak.bytes, peakRssScope: peak.scope, baselineRssBytes: peak.baselineBytes };
}
