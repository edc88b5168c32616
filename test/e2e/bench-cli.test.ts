import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../../harness/core/statistics.ts';
import type { BenchRan, BenchReport } from '../../harness/engine/bench/bench-record.ts';
import { runCli } from '../helpers/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
const SMALL = ['--model', 'tiny-gpt2', '--backends', 'ts:f32', '--prompt-tokens', '4', '--new-tokens', '3'];
let reportPath: string;
let report: BenchReport;

beforeAll(() => {
  const out = join(dir, 'a');
  // 2 depths × 2 batches; 4 repetitions, the fewest with which the U test can tell a difference
  const sweep = ['--depth', '0,8', '--batch', '1,2', '--repetitions', '4', '--warmup', '0'];
  const run = runCli(['bench', ...SMALL, ...sweep, '--out', out, '--json']);
  expect(run.stderr).toMatch(/memory bandwidth/);
  expect(run.code).toBe(0);
  report = JSON.parse(run.stdout);
  reportPath = join(out, 'bench.json');
});

/** Four samples around `median`, 2% apart: tight enough that halving them never overlaps them. */
const STEADY_SPREAD = [0.98, 0.99, 1.01, 1.02];

/**
 * The measured report with each figure's samples replaced by STEADY_SPREAD around its median, so
 * which rows `bench compare` can tell apart depends on the factors below, not on this machine's noise
 * (halving real samples whose spread exceeds 2× overlaps them and the U test rightly cannot tell).
 */
function steadyReport(): { results: BenchRan[] } {
  const copy = structuredClone(report) as unknown as { results: BenchRan[] };
  for (const r of copy.results) {
    for (const figure of [r.prefill, r.decode]) {
      const steady = (f: { median: number }) => STEADY_SPREAD.map((k) => f.median * k);
      const cpu = figure.cpuTokensPerSec;
      Object.assign(figure, {
        tokensPerSec: summarize(steady(figure.tokensPerSec)),
        cpuTokensPerSec: cpu && summarize(steady(cpu)),
      });
    }
  }
  return copy;
}

/** The steady report with every sample multiplied by `factor` (alternately ± `spread`), written to `name`. */
function scaled(name: string, factor: number, spread = 0, edit: (r: BenchRan) => void = () => {}): string {
  const copy = steadyReport();
  for (const r of copy.results) {
    for (const figure of [r.prefill, r.decode]) {
      // slower code: its CPU time moves with its wall time
      const cpu = figure.cpuTokensPerSec;
      const samples = figure.tokensPerSec.samples.map(
        (x, i) => x * factor * (1 + (i % 2 === 0 ? spread : -spread)),
      );
      Object.assign(figure, {
        tokensPerSec: summarize(samples),
        cpuTokensPerSec: cpu && summarize(cpu.samples.map((x) => x * factor)),
      });
    }
    edit(r);
  }
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(copy));
  return path;
}

describe('decode-harness bench', () => {
  it('gives one result row per sweep point in JSON, CSV, Markdown and HTML', () => {
    expect(report.schema).toBe('decode-harness/bench@2');
    const ran = report.results as BenchRan[];
    expect(ran.map((r) => [r.point.batch, r.point.depth, r.prefill.test, r.decode.test])).toEqual([
      [1, 0, 'pp4', 'tg3 @ d4'],
      [1, 8, 'pp12', 'tg3 @ d12'],
      [2, 0, 'pp4', 'tg3 @ d4'],
      [2, 8, 'pp12', 'tg3 @ d12'],
    ]);
    const tg = ran[0]!.decode;
    expect(tg.tokensPerSec.samples).toHaveLength(4);
    expect(tg.tokensPerSec.q1).toBeLessThanOrEqual(tg.tokensPerSec.median);
    expect(typeof tg.noisy).toBe('boolean');
    expect(report.machine.load?.start?.loadAverage).toHaveLength(3);
    for (const file of ['bench.json', 'bench.md', 'bench.csv', 'bench.html'])
      expect(existsSync(join(dir, 'a', file))).toBe(true);
    const csv = readFileSync(join(dir, 'a', 'bench.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv).toHaveLength(1 + 8);
    expect(csv[0]).toMatch(
      /^model,size \(bytes\),params,backend,threads,batch,depth,prompt tokens,context tokens,test,median \(t\/s\)/,
    );
    expect(csv[8]).toMatch(/^tiny-gpt2,\d+,\d+,ts:f32,1,2,8,4,12,tg3 @ d12,[\d.]+,/);
    const md = readFileSync(join(dir, 'a', 'bench.md'), 'utf8');
    expect(md).toMatch(/^\| model \| size \| params \| backend \| threads \| batch \| test \| t\/s \|$/m);
    expect(md).toMatch(
      /^\| tiny-gpt2 \| [\d.]+ MiB \| [\d.]+ M \| ts:f32 \| 1 \| 2 \| tg3 @ d12 \| [\d.]+ ± [\d.]+( noisy)? \|$/m,
    );
    const html = readFileSync(join(dir, 'a', 'bench.html'), 'utf8');
    for (const id of ['bench-tg-context-0', 'bench-pp-context-0', 'bench-tg-batch-0', 'bench-pp-batch-0'])
      expect(html).toContain(`id="${id}"`);
  });

  it('prints the tables by default', () => {
    const table = runCli(['bench', ...SMALL, '--repetitions', '1', '--out', join(dir, 'b')]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/model\s+size\s+params\s+backend\s+threads\s+test\s+t\/s/);
    expect(table.stdout).toMatch(/backend\s+batch\s+test\s+median t\/s\s+IQR \(q1–q3\)\s+min–max\s+CV/);
    expect(table.stdout).toMatch(/TTFT ms\s+ITL p50 ms/);
  });

  it('rejects bad usage with exit 2 and a message naming the value and the fix', () => {
    const cases: [string[], RegExp][] = [
      [['--strategy', 'nucleus'], /--strategy "nucleus" is not supported; supported: greedy, sample, beam/],
      [['--json', '--csv'], /--json and --csv both print on stdout; pick one/],
      [['--backends', 'gpu:magic'], /unknown backend id "gpu:magic"/],
      [['--depth', '0,512,512'], /--depth 0,512,512 lists 512 twice; give each value once/],
      [['--batch', '1,0'], /--batch "0" must be a whole number from 1/],
      [['--prompt-tokens', '16,-4'], /--prompt-tokens "-4" must be a whole number from 1/],
      [
        [...SMALL, '--depth', '250'],
        /--depth 250 \+ --prompt-tokens 4 \+ --new-tokens 3 = 257 positions, more than tiny-gpt2's 256; lower them/,
      ],
      [
        ['--model', 'tiny-gpt2', '--backends', 'ts:f32', '--batch', '100000', '--prompt-tokens', '180'],
        /--batch 100000 at a 180-token context on tiny-gpt2 needs about [\d.]+ GiB \(float32 weights .* but [\d.]+ GiB is available; lower --batch \(about \d+ fits/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = runCli(['bench', ...args, '--out', join(dir, 'bad')]);
      expect(run.stderr).toMatch(message);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('decode-harness bench compare', () => {
  /** A: the measured report on STEADY_SPREAD samples (B/A factors below decide what separates). */
  const steadyA = () => scaled('a-steady.json', 1);

  it('tells a slower B from A with the U test and shows medians, B/A and the noise', () => {
    const run = runCli(['bench', 'compare', steadyA(), scaled('half.json', 0.5), '--out', join(dir, 'cmp')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^A: .*commit/m);
    expect(run.stdout).toMatch(
      /ts:f32\s+tiny-gpt2\s+1\s+tg3 @ d4 t\/s\s+[\d.]+\s+B\s+[\d.]+\s+0\.500\s+50\.0% slower\s+0\.029\s+±/,
    );
    expect(run.stdout).toMatch(/TTFT ms/);
    const html = readFileSync(join(dir, 'cmp', 'compare.html'), 'utf8');
    expect(html).toContain('id="bench-compare-ratios-0"');
  });

  it('--fail-if-slower exits 1 only on a slowdown it can tell; one inside the noise is listed, not failed', () => {
    const slower = runCli([
      'bench',
      'compare',
      steadyA(),
      scaled('half.json', 0.5),
      '--fail-if-slower',
      '20',
    ]);
    expect(slower.code).toBe(1);
    expect(slower.stdout).toMatch(
      /FAILED: .*tg3 @ d4 t\/s ts:f32 on tiny-gpt2 batch 1 in B 50\.0% slower \(p 0\.029\)/,
    );
    const same = runCli(['bench', 'compare', steadyA(), scaled('same.json', 1), '--fail-if-slower', '5']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/gate: no pp\/tg figure is told slower by more than 5%/);
    // 20% slower by the medians, but two of four samples above A and two below: U = n1·n2/2, p = 1
    const noisy = runCli([
      'bench',
      'compare',
      steadyA(),
      scaled('noisy.json', 0.8, 0.45),
      '--fail-if-slower',
      '5',
    ]);
    expect(noisy.code).toBe(0);
    expect(noisy.stdout).toMatch(
      /not failing: tg3 @ d4 t\/s ts:f32 on tiny-gpt2 batch 1 in B is [\d.]+% slower by the medians, but the U test cannot tell it from noise/,
    );
  });

  it('compares several reports with A; --json prints one bench-compare object', () => {
    const three = runCli([
      'bench',
      'compare',
      steadyA(),
      scaled('b.json', 1),
      scaled('c.json', 0.5),
      '--json',
    ]);
    const parsed = JSON.parse(three.stdout);
    expect(parsed.schema).toBe('decode-harness/bench-compare@2');
    expect(parsed.reports.map((r: { label: string }) => r.label)).toEqual(['A', 'B', 'C']);
    expect(new Set(parsed.figures.map((f: { against: string }) => f.against))).toEqual(new Set(['B', 'C']));
    // runs of one command in separate processes, comma-separated, are one side: their samples pooled
    const pooled = runCli([
      'bench',
      'compare',
      `${reportPath},${scaled('b.json', 1)}`,
      scaled('c.json', 0.5),
      '--json',
    ]);
    const side = JSON.parse(pooled.stdout);
    expect(side.reports[0].path).toBe(`${reportPath}+${join(dir, 'b.json')}`);
    expect(side.figures[0].test.method).toBe('exact');
  });

  it('refuses one report, a missing file, a bad threshold, another schema version and another model (exit 2)', () => {
    const old = join(dir, 'old.json');
    writeFileSync(old, JSON.stringify({ ...report, schema: 'decode-harness/bench@1' }));
    const otherModel = scaled('other-model.json', 1, 0, (r) =>
      Object.assign(r.model, { sha256: 'f'.repeat(64) }),
    );
    const cases: [string[], RegExp][] = [
      [[reportPath], /takes two or more reports, got 1/],
      [[reportPath, join(dir, 'nope.json')], /nope\.json: .*written by `decode-harness bench`/],
      [
        [reportPath, reportPath, '--fail-if-slower', 'ten'],
        /--fail-if-slower "ten" must be a number from 0 to 100 \(a percentage\), e.g. --fail-if-slower 5/,
      ],
      [
        [reportPath, old],
        /old\.json: schema "decode-harness\/bench@1" is not "decode-harness\/bench@2"; .*re-run it with this version/,
      ],
      [
        [reportPath, otherModel],
        /measured different files under the model name tiny-gpt2 .*compare reports of the same model files/,
      ],
      [
        [reportPath, reportPath, '--gate-on', 'cpu'],
        /--gate-on cpu chooses what --fail-if-slower judges; give --fail-if-slower PCT too/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = runCli(['bench', 'compare', ...args]);
      expect(run.stderr).toMatch(message);
      expect(run.code).toBe(2);
    }
  });
});

describe('decode-harness bench micro', () => {
  it('runs the processor micro-benchmarks with tinybench', () => {
    const run = runCli(['bench', 'micro', '--only', 'processors', '--time', '20', '--json']);
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout);
    expect(parsed.schema).toBe('decode-harness/bench-micro@1');
    const names = parsed.results.processors.map((r: { name: string }) => r.name);
    expect(names[0]).toBe('chain repetition_penalty+temperature+top_k+top_p');
    expect(parsed.results.processors.every((r: { state: string }) => r.state === 'completed')).toBe(true);
  });

  it('rejects an unknown group', () => {
    const run = runCli(['bench', 'micro', '--only', 'gpu']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--only "gpu" is not a group; groups: kernels, processors/);
  });
});
