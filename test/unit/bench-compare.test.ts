import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { summarize } from '../../harness/core/statistics.ts';
import { BENCH_SCHEMA, type BenchRan, type BenchReport } from '../../harness/engine/bench/bench-record.ts';
import { compareReports, slowdownGate } from '../../harness/engine/bench/compare-reports.ts';
import { readBenchReport } from '../../harness/engine/bench/parse-bench-report.ts';

/** A ran result whose tg samples are `tg` and pp samples `pp` (everything else fixed). */
function ran(backendId: string, tg: number[], pp: number[] = [100, 100], sha = 'a'.repeat(64)): BenchRan {
  const s = summarize;
  return {
    status: 'ran',
    model: { name: 'm', path: '/m', modelType: 'gpt2', sha256: sha, parameters: 10, sizeBytes: 40 },
    backend: {
      id: backendId,
      device: 'cpu',
      deviceKind: 'cpu',
      executionProvider: 'x',
      dtype: 'float32',
      threads: 1,
      versions: {},
    },
    conformance: { passed: true, cached: true },
    prefill: { test: 'pp16', tokensPerSec: s(pp) },
    decode: {
      test: 'tg64',
      tokensPerSec: s(tg),
      roofline: {
        weightBytesPerStep: 40,
        kvBytesPerStepPerRow: 0,
        meanContextTokens: 48,
        rows: 1,
        tokensPerStep: 1,
        bandwidthGBps: 1,
        limitTokensPerSec: 1e8,
      },
    },
    timeToFirstTokenMs: s([10, 10]),
    interTokenMs: { p50: 5, p90: 6, p99: 7, samples: [5, 6, 7] },
    choiceMsPerStep: s([0.5, 0.5]),
    tokenizeMs: s([1]),
    detokenizeMs: s([1]),
    memory: {
      peakRssBytes: 2 ** 20,
      peakRssScope: 'since-reset',
      baselineRssBytes: 2 ** 19,
      gpuMemoryBytes: null,
      browserPssBytes: null,
    },
  };
}

function report(results: BenchReport['results']): BenchReport {
  return {
    schema: BENCH_SCHEMA,
    createdAt: '2026-01-01T00:00:00.000Z',
    machine: {
      cpuModel: 'cpu',
      logicalCores: 2,
      memoryGiB: 8,
      os: 'linux',
      node: '20',
      gitCommit: null,
      versions: {},
      gpus: [],
      lastLevelCacheBytes: null,
    },
    bandwidth: {
      bufferBytes: 1,
      trials: 1,
      singleThreadReadGBps: 1,
      threads: 1,
      multiThreadReadGBps: 1,
      bestReadGBps: 1,
    },
    settings: {
      promptTokens: 16,
      newTokens: 64,
      repetitions: 2,
      warmup: 1,
      threads: 1,
      batch: 1,
      strategy: 'greedy',
      numBeams: 1,
      sampling: null,
      eosIgnored: true,
      prompt: 'synthetic-ids',
    },
    results,
  };
}

describe('compareReports', () => {
  it('pairs (backend, model, metric) and gives B/A and how much slower B is', () => {
    const a = report([ran('x', [100, 100]), ran('only-a', [1, 1])]);
    const b = report([ran('x', [90, 90]), ran('only-b', [1, 1])]);
    const { figures, notes } = compareReports(a, b);
    const tg = figures.find((f) => f.metric === 'tg64 t/s')!;
    expect(tg).toMatchObject({ backendId: 'x', a: 100, b: 90, better: 'higher', gated: true });
    expect(tg.ratio).toBeCloseTo(0.9, 12);
    expect(tg.slowerPercent).toBeCloseTo(10, 10);
    expect(tg.noisePercent).toBe(0);
    const ttft = figures.find((f) => f.metric === 'TTFT ms')!;
    expect(ttft).toMatchObject({ better: 'lower', gated: false, slowerPercent: 0 });
    expect(figures.map((f) => f.metric)).toEqual([
      'pp16 t/s',
      'tg64 t/s',
      'TTFT ms',
      'ITL p50 ms',
      'ITL p99 ms',
      'choice ms/step',
      'peak RSS MiB',
    ]);
    expect(notes).toEqual(['only-a on m: only in A', 'only-b on m: only in B']);
  });

  it('notes when the model files differ between the reports', () => {
    const { notes } = compareReports(
      report([ran('x', [1, 1])]),
      report([ran('x', [1, 1], [1, 1], 'b'.repeat(64))]),
    );
    expect(notes[0]).toMatch(/model files differ/);
  });

  it('takes the larger coefficient of variation of the two sides as the noise', () => {
    const { figures } = compareReports(report([ran('x', [90, 110])]), report([ran('x', [100, 100])]));
    const tg = figures.find((f) => f.metric === 'tg64 t/s')!;
    expect(tg.noisePercent).toBeCloseTo((100 * Math.sqrt(200)) / 100, 10);
  });
});

describe('slowdownGate', () => {
  const a = report([ran('x', [100, 102])]);
  const b = report([ran('x', [80, 82])]);

  it('fails a pp/tg figure slower by more than the threshold, not one within it', () => {
    const comparison = compareReports(a, b);
    expect(slowdownGate(comparison, 10).failing.map((f) => f.metric)).toEqual(['tg64 t/s']);
    expect(slowdownGate(comparison, 25).failing).toEqual([]);
  });

  it('flags a threshold below twice the run-to-run noise', () => {
    const noisy = compareReports(report([ran('x', [80, 120])]), b); // CV ≈ 28%
    const verdict = slowdownGate(noisy, 10);
    expect(verdict.tooNoisy.map((f) => f.metric)).toEqual(['tg64 t/s']);
    expect(slowdownGate(noisy, 60).tooNoisy).toEqual([]);
  });
});

describe('readBenchReport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  const write = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads a valid report', () => {
    const path = write('ok.json', JSON.stringify(report([ran('x', [1, 1])])));
    expect(readBenchReport(path).results).toHaveLength(1);
  });

  it('names the file and the fix for unreadable JSON, a foreign schema and a damaged field', () => {
    expect(() => readBenchReport(write('bad.json', '{'))).toThrow(UsageError);
    expect(() => readBenchReport(write('bad.json', '{'))).toThrow(
      /bad\.json: .*written by `decode-harness bench`/,
    );
    expect(() =>
      readBenchReport(write('old.json', JSON.stringify({ schema: 'decode-harness/bench@0' }))),
    ).toThrow(/schema "decode-harness\/bench@0" is not "decode-harness\/bench@1"/);
    const damaged = report([ran('x', [1, 1])]) as unknown as { results: { decode: unknown }[] };
    damaged.results[0]!.decode = { test: 'tg64' };
    expect(() => readBenchReport(write('damaged.json', JSON.stringify(damaged)))).toThrow(
      /results\.0\.decode\.tokensPerSec: .*re-run `decode-harness bench`/,
    );
  });
});
