import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { compareReports, slowdownGate } from '../../harness/engine/bench/compare-reports.ts';
import { readBenchReport } from '../../harness/engine/bench/parse-bench-report.ts';
import { benchRan, benchReport } from '../helpers/bench-records.ts';

describe('compareReports', () => {
  it('pairs (backend, model, metric) and gives B/A and how much slower B is', () => {
    const a = benchReport([benchRan('x', [100, 100]), benchRan('only-a', [1, 1])]);
    const b = benchReport([benchRan('x', [90, 90]), benchRan('only-b', [1, 1])]);
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
      benchReport([benchRan('x', [1, 1])]),
      benchReport([benchRan('x', [1, 1], [1, 1], 'b'.repeat(64))]),
    );
    expect(notes[0]).toMatch(/model files differ/);
  });

  it('takes the larger coefficient of variation of the two sides as the noise', () => {
    const { figures } = compareReports(
      benchReport([benchRan('x', [90, 110])]),
      benchReport([benchRan('x', [100, 100])]),
    );
    const tg = figures.find((f) => f.metric === 'tg64 t/s')!;
    expect(tg.noisePercent).toBeCloseTo((100 * Math.sqrt(200)) / 100, 10);
  });
});

describe('slowdownGate', () => {
  const a = benchReport([benchRan('x', [100, 102])]);
  const b = benchReport([benchRan('x', [80, 82])]);

  it('fails a pp/tg figure slower by more than the threshold, not one within it', () => {
    const comparison = compareReports(a, b);
    expect(slowdownGate(comparison, 10).failing.map((f) => f.metric)).toEqual(['tg64 t/s']);
    expect(slowdownGate(comparison, 25).failing).toEqual([]);
  });

  it('flags a threshold below twice the run-to-run noise', () => {
    const noisy = compareReports(benchReport([benchRan('x', [80, 120])]), b); // CV ≈ 28%
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
    const path = write('ok.json', JSON.stringify(benchReport([benchRan('x', [1, 1])])));
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
    const damaged = benchReport([benchRan('x', [1, 1])]) as unknown as { results: { decode: unknown }[] };
    damaged.results[0]!.decode = { test: 'tg64' };
    expect(() => readBenchReport(write('damaged.json', JSON.stringify(damaged)))).toThrow(
      /results\.0\.decode\.tokensPerSec: .*re-run `decode-harness bench`/,
    );
  });
});
