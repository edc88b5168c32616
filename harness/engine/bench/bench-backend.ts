import type { BackendFactory } from '../../core/backend/contract.ts';
import { openBackend } from '../../core/backend/open-backend.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { percentile, summarize } from '../../core/statistics.ts';
import { eosTokenIds } from '../model/eos-token-ids.ts';
import { loadTokenizer } from '../model/tokenizer.ts';
import { benchGenerationConfig } from './bench-config.ts';
import type { BenchModel, BenchRan, BenchSettings } from './bench-record.ts';
import { type RepetitionTiming, timeBatchedGreedy, timeDecode } from './decode-timing.ts';
import { openPeakWindow, type PeakWindow, peakRss } from './peak-memory.ts';
import type { Progress } from './progress.ts';
import { decodeRoofline } from './roofline.ts';
import { syntheticPrompt } from './synthetic-prompt.ts';
import { TimedSource } from './timed-source.ts';

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

/**
 * Time one backend on one model that has passed the conformance gate: `warmup` untimed
 * repetitions (JIT, allocator and ORT arena warm-up), then `repetitions` timed ones. The backend is
 * created here, after the peak-memory window opens, so its peak includes loading the model.
 */
export async function benchBackend(
  factory: BackendFactory,
  model: ModelDir,
  benchModel: BenchModel,
  settings: BenchSettings,
  bandwidthGBps: number,
  progress: Progress,
): Promise<Omit<BenchRan, 'conformance'>> {
  const peakWindow = await openPeakWindow();
  const backendId = factory.id;
  const source = await openBackend(
    factory,
    model,
    settings.threads === null ? {} : { threads: settings.threads },
  );
  try {
    const tokenizer = await loadTokenizer(model);
    const avoid = eosTokenIds(model);
    const prompts = Array.from({ length: settings.batch }, (_, row) =>
      syntheticPrompt(settings.promptTokens, model.config.vocab_size, avoid, row),
    );
    const config = benchGenerationConfig(settings);
    const timed = new TimedSource(source);
    const once = (): Promise<RepetitionTiming> =>
      settings.batch === 1
        ? timeDecode(timed, prompts[0]!, config)
        : timeBatchedGreedy(source, prompts, settings.newTokens);

    const label = `${backendId} on ${model.name}`;
    for (let w = 0; w < settings.warmup; w++) {
      progress.status(`${label}: warm-up ${w + 1}/${settings.warmup}`);
      await once();
    }
    const timings: RepetitionTiming[] = [];
    const tokenizeMs: number[] = [];
    const detokenizeMs: number[] = [];
    const promptText = tokenizer.decode(prompts[0]!);
    for (let r = 0; r < settings.repetitions; r++) {
      const timing = await once();
      timings.push(timing);
      let t0 = performance.now();
      tokenizer.encode(promptText);
      tokenizeMs.push(performance.now() - t0);
      t0 = performance.now();
      tokenizer.decode(timing.tokenIds);
      detokenizeMs.push(performance.now() - t0);
      const tg = decodeTokensPerSec(timing);
      progress.status(`${label}: repetition ${r + 1}/${settings.repetitions}, tg ${tg.toFixed(1)} t/s`);
    }

    const rows = settings.batch;
    const beams = settings.strategy === 'beam' ? settings.numBeams : 1;
    return {
      status: 'ran',
      model: benchModel,
      backend: source.info,
      prefill: {
        test: `pp${settings.promptTokens}`,
        tokensPerSec: summarize(timings.map((t) => (t.rows * t.promptTokens * 1000) / t.prefillMs)),
      },
      decode: {
        test: `tg${settings.newTokens}`,
        tokensPerSec: summarize(timings.map(decodeTokensPerSec)),
        roofline: decodeRoofline(
          model.config,
          source.info.dtype,
          {
            promptTokens: settings.promptTokens,
            newTokens: settings.newTokens,
            rows: rows * beams,
            tokensPerStep: rows,
          },
          bandwidthGBps,
        ),
      },
      timeToFirstTokenMs: summarize(timings.map((t) => t.timeToFirstTokenMs)),
      interTokenMs: latencyPercentiles(timings.flatMap((t) => t.tokenGapsMs)),
      choiceMsPerStep: summarize(timings.map((t) => t.choiceMs / t.newTokens)),
      tokenizeMs: summarize(tokenizeMs),
      detokenizeMs: summarize(detokenizeMs),
      memory: {
        ...peakOf(peakWindow),
        gpuMemoryBytes: null,
        browserPssBytes: source.outOfProcessMemory?.().pssBytes ?? null,
      },
    };
  } finally {
    await source.dispose();
  }
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
