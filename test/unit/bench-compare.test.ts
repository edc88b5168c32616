import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { summarize } from '../../harness/core/statistics.ts';
import type { BenchReport } from '../../harness/engine/bench/bench-record.ts';
import { compareReports, cpuTimeTwin, slowdownGate } from '../../harness/engine/bench/compare-reports.ts';
import { readBenchReport } from '../../harness/engine/bench/parse-bench-report.ts';
import { poolReports } from '../../harness/engine/bench/pool-reports.ts';
import { benchRan, benchReport } from '../helpers/bench-records.ts';

/** Reports labelled A, B, C … as `bench compare` reads them. */
const labelled = (...reports: BenchReport[]) =>
  reports.map((report, i) => ({ label: 'ABC'[i]!, path: `${'abc'[i]}.json`, report }));
const tgOf = (figures: ReturnType<typeof compareReports>['figures'], against = 'B') =>
  figures.find((f) => f.metric === 'tg64 @ d16 t/s' && f.against === against)!;

const FAST = [100, 101, 102, 103, 104];
const SLOW = [90, 91, 92, 93, 94];

describe('compareReports', () => {
  it('pairs (backend, model, batch, context, metric): medians, B/A, how much slower, the noise', () => {
    const a = benchReport([benchRan('x', FAST), benchRan('only-a', [1, 1])]);
    const b = benchReport([benchRan('x', SLOW), benchRan('only-b', [1, 1])]);
    const { figures, notes } = compareReports(labelled(a, b));
    const tg = tgOf(figures);
    expect(tg).toMatchObject({ backendId: 'x', batch: 1, a: 102, b: 92, better: 'higher', gated: true });
    expect(tg.ratio).toBeCloseTo(92 / 102, 12);
    expect(tg.slowerPercent).toBeCloseTo(100 * (1 - 92 / 102), 10);
    expect(tg.noisePercent).toBeCloseTo(100 * Math.hypot(summaryCv(FAST), summaryCv(SLOW)), 10);
    expect(figures.map((f) => f.metric)).toEqual([
      'pp16 t/s',
      'tg64 @ d16 t/s',
      'TTFT ms',
      'ITL p50 ms',
      'ITL p99 ms',
      'choice ms/step',
      'peak RSS MiB',
    ]);
    expect(notes).toEqual([
      'only-a on m batch 1 pp16: in A, not in B',
      'only-b on m batch 1 pp16: in B, not in A',
    ]);
  });

  it('calls B slower only when the Mann–Whitney U test tells it from noise', () => {
    const separated = tgOf(
      compareReports(labelled(benchReport([benchRan('x', FAST)]), benchReport([benchRan('x', SLOW)])))
        .figures,
    );
    expect(separated.verdict).toBe('worse');
    expect(separated.test?.pValue).toBeCloseTo(2 / 252, 12);
    // The same medians, but the samples overlap: a 3% difference inside ±10% noise
    const overlapping = tgOf(
      compareReports(
        labelled(
          benchReport([benchRan('x', [90, 95, 100, 105, 110])]),
          benchReport([benchRan('x', [87, 92, 97, 102, 107])]),
        ),
      ).figures,
    );
    expect(overlapping.slowerPercent).toBeCloseTo(3, 10);
    expect(overlapping.verdict).toBe('cannot tell');
    // 3 + 3 repetitions cannot reach p < 0.05 however far apart they are
    const few = tgOf(
      compareReports(
        labelled(benchReport([benchRan('x', [100, 100, 100])]), benchReport([benchRan('x', [50, 51, 52])])),
      ).figures,
    );
    expect(few).toMatchObject({ verdict: 'cannot tell', test: { minPValue: 0.1, pValue: 0.1 } });
    // lower is better for times; one value is not tested
    const figures = compareReports(
      labelled(benchReport([benchRan('x', FAST)]), benchReport([benchRan('x', SLOW)])),
    ).figures;
    expect(figures.find((f) => f.metric === 'peak RSS MiB')).toMatchObject({
      verdict: 'not tested',
      test: null,
    });
  });

  it('compares every further report with A', () => {
    const { figures } = compareReports(
      labelled(
        benchReport([benchRan('x', FAST)]),
        benchReport([benchRan('x', SLOW)]),
        benchReport([
          benchRan(
            'x',
            FAST.map((v) => v + 20),
          ),
        ]),
      ),
    );
    expect(tgOf(figures, 'B').verdict).toBe('worse');
    expect(tgOf(figures, 'C').verdict).toBe('better');
  });

  it('pairs a batch only with the same batch', () => {
    const a = benchReport([benchRan('x', FAST, [100, 100], 'a'.repeat(64), 4)]);
    const b = benchReport([benchRan('x', FAST)]);
    const { figures, notes } = compareReports(labelled(a, b));
    expect(figures).toEqual([]);
    expect(notes).toEqual(['x on m batch 4 pp16: in A, not in B', 'x on m batch 1 pp16: in B, not in A']);
  });

  it('refuses different files under one model name and another strategy (bad input)', () => {
    const a = benchReport([benchRan('x', [1, 1])]);
    const other = benchReport([benchRan('x', [1, 1], [1, 1], 'b'.repeat(64))]);
    expect(() => compareReports(labelled(a, other))).toThrow(UsageError);
    expect(() => compareReports(labelled(a, other))).toThrow(
      /a\.json and b\.json measured different files under the model name m \(sha256 aaaaaaaaaaaa… vs bbbbbbbbbbbb…\).*compare reports of the same model files/,
    );
    const beam = { ...a, settings: { ...a.settings, strategy: 'beam' as const, numBeams: 4 } };
    expect(() => compareReports(labelled(a, beam))).toThrow(
      /a\.json decoded with greedy, b\.json with beam \(4 beams\).*same --strategy/,
    );
  });
});

describe('slowdownGate', () => {
  it('fails a figure told slower by more than the threshold; lists one it cannot tell from noise', () => {
    const comparison = compareReports(
      labelled(benchReport([benchRan('x', FAST)]), benchReport([benchRan('x', SLOW)])),
    );
    expect(slowdownGate(comparison, 5).failing.map((f) => f.metric)).toEqual(['tg64 @ d16 t/s']);
    expect(slowdownGate(comparison, 15)).toMatchObject({ failing: [], cannotTell: [] });
    const noisy = compareReports(
      labelled(
        benchReport([benchRan('x', [80, 120, 100, 90, 110])]),
        benchReport([benchRan('x', [70, 110, 90, 80, 100])]),
      ),
    ); // 10% slower by the medians, inside the noise
    const gate = slowdownGate(noisy, 5);
    expect(gate.failing).toEqual([]);
    expect(gate.cannotTell.map((f) => f.metric)).toEqual(['tg64 @ d16 t/s']);
  });
});

describe('the CPU-time twin', () => {
  /** A result whose wall-clock tg samples are `wall` and CPU-time ones `cpu` (a single-threaded backend). */
  const withCpu = (wall: number[], cpu: number[]) => {
    const r = benchRan('x', wall);
    return { ...r, decode: { ...r.decode, cpuTokensPerSec: summarize(cpu) } };
  };
  const steady = [200, 201, 202, 203, 204];

  it('is compared beside the wall-clock figure, and --gate-on cpu-time judges by it', () => {
    // wall time 10% slower (a busier machine), CPU time the same work
    const a = benchReport([withCpu(FAST, steady)]);
    const b = benchReport([withCpu(SLOW, [201, 202, 200, 204, 203])]);
    const comparison = compareReports(labelled(a, b));
    expect(comparison.figures.map((f) => f.metric)).toContain('tg64 @ d16 CPU-time t/s');
    expect(cpuTimeTwin(comparison, tgOf(comparison.figures))?.verdict).toBe('cannot tell');
    expect(slowdownGate(comparison, 5).failing.map((f) => f.metric)).toEqual(['tg64 @ d16 t/s']);
    expect(slowdownGate(comparison, 5, 'cpu-time').failing).toEqual([]);
    // more CPU work is told on either clock
    const heavier = compareReports(
      labelled(
        a,
        benchReport([
          withCpu(
            SLOW,
            steady.map((x) => x * 0.9),
          ),
        ]),
      ),
    );
    expect(slowdownGate(heavier, 5, 'cpu-time').failing.map((f) => f.metric)).toEqual([
      'tg64 @ d16 CPU-time t/s',
    ]);
  });
});

describe('poolReports', () => {
  it('concatenates the runs’ samples, so an offset between processes becomes spread the test sees', () => {
    // each run tight, the two runs 10% apart: alone, A1 vs B1 is told; pooled, it is not
    const a1 = benchReport([benchRan('x', [100, 100.5, 101, 101.5, 102])]);
    const a2 = benchReport([benchRan('x', [90, 90.5, 91, 91.5, 92])]);
    const b1 = benchReport([benchRan('x', [91, 91.5, 92, 92.5, 93])]);
    const b2 = benchReport([benchRan('x', [99, 99.5, 100, 100.5, 101])]);
    expect(tgOf(compareReports(labelled(a1, b1)).figures).verdict).toBe('worse');
    const pooled = poolReports([a1, a2]);
    const tg = (pooled.results[0] as (typeof a1.results)[0] & { status: 'ran' }).decode;
    expect(tg.tokensPerSec.samples).toEqual([100, 100.5, 101, 101.5, 102, 90, 90.5, 91, 91.5, 92]);
    expect(tg.tokensPerSec.median).toBe(96);
    expect(tg.noisy).toBe(true);
    const both = tgOf(compareReports(labelled(pooled, poolReports([b1, b2]))).figures);
    expect(both.verdict).toBe('cannot tell');
    expect(poolReports([a1])).toBe(a1);
  });

  it('leaves out a result that is not in every run', () => {
    const pooled = poolReports([
      benchReport([benchRan('x', [1, 1]), benchRan('y', [1, 1])]),
      benchReport([benchRan('x', [2, 2])]),
    ]);
    expect(pooled.results.map((r) => (r.status === 'ran' ? r.backend.id : r.backendId))).toEqual(['x']);
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
    const path = write('ok.json', JSON.stringify(benchReport([benchRan('x', [1, 1])])));
    expect(readBenchReport(path).results).toHaveLength(1);
  });

  it('names the file and the fix for unreadable JSON, another schema version and a damaged field', () => {
    expect(() => readBenchReport(write('bad.json', '{'))).toThrow(UsageError);
    expect(() => readBenchReport(write('bad.json', '{'))).toThrow(
      /bad\.json: .*written by `decode-harness bench`/,
    );
    expect(() =>
      readBenchReport(write('old.json', JSON.stringify({ schema: 'decode-harness/bench@1' }))),
    ).toThrow(
      /schema "decode-harness\/bench@1" is not "decode-harness\/bench@2".*re-run it with this version/,
    );
    const damaged = benchReport([benchRan('x', [1, 1])]) as unknown as { results: { decode: unknown }[] };
    damaged.results[0]!.decode = { test: 'tg64' };
    expect(() => readBenchReport(write('damaged.json', JSON.stringify(damaged)))).toThrow(
      /results\.0\.decode\.tokensPerSec: .*re-run `decode-harness bench`/,
    );
  });
});

function summaryCv(samples: number[]): number {
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  const sd = Math.sqrt(samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (samples.length - 1));
  return sd / mean;
}
