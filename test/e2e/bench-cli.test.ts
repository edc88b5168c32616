import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BenchRan, BenchReport } from '../../harness/engine/bench/bench-record.ts';
import { runCli } from '../helpers/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
const SMALL = ['--model', 'tiny-gpt2', '--backends', 'ts:f32', '--prompt-tokens', '4', '--new-tokens', '3'];
let reportPath: string;
let report: BenchReport;

beforeAll(() => {
  const out = join(dir, 'a');
  const run = runCli(['bench', ...SMALL, '--repetitions', '3', '--warmup', '0', '--out', out, '--json']);
  expect(run.stderr).toMatch(/memory bandwidth/);
  expect(run.code).toBe(0);
  report = JSON.parse(run.stdout);
  reportPath = join(out, 'bench.json');
});

/** A copy of the report with every ts:f32 tokens/s sample multiplied by `factor`, written to `name`. */
function scaled(name: string, factor: number, spread = 0): string {
  const copy = structuredClone(report) as unknown as { results: BenchRan[] };
  for (const r of copy.results) {
    for (const figure of [r.prefill, r.decode]) {
      const samples = figure.tokensPerSec.samples.map(
        (x, i) => x * factor * (1 + (i % 2 === 0 ? spread : -spread)),
      );
      const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
      const sd = Math.sqrt(samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (samples.length - 1));
      Object.assign(figure, { tokensPerSec: { ...figure.tokensPerSec, samples, mean, sd } });
    }
  }
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(copy));
  return path;
}

describe('decode-harness bench', () => {
  it('prints one schema-tagged object with --json and writes json, md and csv into --out', () => {
    expect(report.schema).toBe('decode-harness/bench@1');
    const ran = report.results[0] as BenchRan;
    expect(ran.status).toBe('ran');
    expect(ran.decode.tokensPerSec.samples).toHaveLength(3);
    for (const file of ['bench.json', 'bench.md', 'bench.csv'])
      expect(existsSync(join(dir, 'a', file))).toBe(true);
    expect(readFileSync(join(dir, 'a', 'bench.csv'), 'utf8')).toMatch(
      /^model,size \(bytes\),params,backend,threads,test,t\/s,sd \(t\/s\),roofline \(%\)\n/,
    );
  });

  it('prints the table by default and CSV with --csv', () => {
    const table = runCli(['bench', ...SMALL, '--repetitions', '1', '--out', join(dir, 'b')]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/model\s+size\s+params\s+backend\s+threads\s+test\s+t\/s\s+roofline/);
    expect(table.stdout).toMatch(/TTFT ms\s+ITL p50 ms/);
    const csv = runCli(['bench', ...SMALL, '--repetitions', '1', '--out', join(dir, 'c'), '--csv']);
    expect(csv.stdout.split('\n')[1]).toMatch(/^tiny-gpt2,\d+,\d+,ts:f32,1,pp4,/);
  });

  it('rejects bad usage with exit 2 and a message naming the value and the fix', () => {
    const strategy = runCli(['bench', '--strategy', 'nucleus']);
    expect(strategy.code).toBe(2);
    expect(strategy.stderr).toMatch(/--strategy "nucleus" is not supported; supported: greedy, sample, beam/);
    const formats = runCli(['bench', '--json', '--csv']);
    expect(formats.code).toBe(2);
    expect(formats.stderr).toMatch(/--json and --csv both print on stdout; pick one/);
    const backend = runCli(['bench', '--backends', 'gpu:magic']);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toMatch(/unknown backend id "gpu:magic"/);
  });
});

describe('decode-harness bench compare', () => {
  it('shows A, B and B/A per backend, model and metric', () => {
    const run = runCli(['bench', 'compare', reportPath, scaled('half.json', 0.5)]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^A: .*commit/m);
    expect(run.stdout).toMatch(/ts:f32\s+tiny-gpt2\s+tg3 t\/s\s+[\d.]+\s+[\d.]+\s+0\.500\s+50\.0% slower/);
    expect(run.stdout).toMatch(/TTFT ms/);
  });

  it('--fail-if-slower exits 1 when a pp/tg figure got slower by more than PCT, 0 otherwise', () => {
    const slower = runCli([
      'bench',
      'compare',
      reportPath,
      scaled('half.json', 0.5),
      '--fail-if-slower',
      '20',
    ]);
    expect(slower.code).toBe(1);
    expect(slower.stdout).toMatch(/FAILED: .*tg3 t\/s ts:f32 on tiny-gpt2 50\.0% slower/);
    const same = runCli(['bench', 'compare', reportPath, scaled('same.json', 1), '--fail-if-slower', '99']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/gate: no pp\/tg figure is more than 99% slower in B/);
  });

  it('warns, with the numbers, when PCT is below twice the measured noise', () => {
    const noisy = scaled('noisy.json', 1, 0.3); // CV ≈ 30%
    const run = runCli(['bench', 'compare', reportPath, noisy, '--fail-if-slower', '5']);
    expect(run.stderr).toMatch(
      /warning: --fail-if-slower 5 is below 2× the run-to-run noise of tg3 t\/s for ts:f32 on tiny-gpt2 \(CV [\d.]+% → 2× = [\d.]+%\): the gate cannot tell noise from a regression/,
    );
  });

  it('--json prints one bench-compare object', () => {
    const run = runCli(['bench', 'compare', reportPath, reportPath, '--json']);
    const parsed = JSON.parse(run.stdout);
    expect(parsed.schema).toBe('decode-harness/bench-compare@1');
    expect(parsed.figures.length).toBeGreaterThan(0);
  });

  it('needs exactly two readable reports and a sane threshold (exit 2)', () => {
    expect(runCli(['bench', 'compare', reportPath]).stderr).toMatch(/takes two reports, got 1/);
    const missing = runCli(['bench', 'compare', reportPath, join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: .*written by `decode-harness bench`/);
    const pct = runCli(['bench', 'compare', reportPath, reportPath, '--fail-if-slower', 'ten']);
    expect(pct.code).toBe(2);
    expect(pct.stderr).toMatch(
      /--fail-if-slower "ten" must be a number from 0 to 100 \(a percentage\), e.g. --fail-if-slower 5/,
    );
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
