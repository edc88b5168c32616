import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-compare-dtypes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const promptsFile = join(scratch, 'prompts.txt');
writeFileSync(promptsFile, 'The quick brown fox\nHello, world\n');
const quick = ['--prompts', promptsFile, '--max-new-tokens', '6'];

interface Agreement {
  backend: { id: string };
  summary: { kld: { mean: number }; perplexity: { ratio: number; ratioUncertainty: number | null } };
  gates: { gate: string; passed: boolean }[];
}

describe('compare --dtypes: each graph variant on each backend against the reference on fp32', () => {
  it('labels every (backend, variant), reports PPL ratio and KLD, and lists what could not run', () => {
    const run = runCli([
      'compare',
      '--dtypes',
      'fp32,q4',
      '--backends',
      'ts:f32,ort-node:cpu',
      ...quick,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const record = JSON.parse(run.stdout);
    expect(record.reference.id).toBe('ts:f64');
    expect(record.model.graph.file).toBe('onnx/model.onnx');
    expect(record.model.variants.map((g: { file: string }) => g.file)).toEqual([
      'onnx/model.onnx',
      'onnx/model_q4.onnx',
    ]);
    const byId = Object.fromEntries(record.backends.map((a: Agreement) => [a.backend.id, a]));
    expect(Object.keys(byId)).toEqual(['ts:f32 fp32', 'ort-node:cpu fp32', 'ort-node:cpu q4']);
    expect(record.notRun.map((n: { id: string }) => n.id)).toEqual(['ts:f32 q4']);
    expect(record.notRun[0].reason).toMatch(/not the q4 graph/);
    // fp32 is float noise away from the reference; q4 is far (tiny-gpt2's random weights: PPL ×3).
    const fp32 = byId['ort-node:cpu fp32'] as Agreement;
    const q4 = byId['ort-node:cpu q4'] as Agreement;
    expect(Math.abs(fp32.summary.perplexity.ratio - 1)).toBeLessThan(1e-5);
    expect(fp32.summary.kld.mean).toBeLessThan(1e-9);
    expect(q4.summary.perplexity.ratio).toBeGreaterThan(1.5);
    expect(q4.summary.kld.mean).toBeGreaterThan(0.1);
    // No gate was given, so none decides the exit status.
    expect(record.backends.every((a: Agreement) => a.gates.length === 0)).toBe(true);
  });

  it('with onnx:f64 listed, splits each pair into quantization (the graph in float64) and arithmetic (the backend against it)', () => {
    const run = runCli([
      'compare',
      '--dtypes',
      'fp32,q4',
      '--backends',
      'onnx:f64,ort-node:cpu',
      ...quick,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const record = JSON.parse(run.stdout);
    const split = Object.fromEntries(
      record.split.map((s: { backend: string; variant: string }) => [`${s.backend} ${s.variant}`, s]),
    );
    expect(Object.keys(split)).toEqual(['ort-node:cpu fp32', 'ort-node:cpu q4']);
    const kld = (id: string) => record.backends.find((a: Agreement) => a.backend.id === id).summary.kld.mean;
    const q4 = split['ort-node:cpu q4'];
    // The quantization column is onnx:f64 q4's own distance from the reference ...
    expect(q4.quantizationKld).toBe(kld('onnx:f64 q4'));
    expect(q4.quantizationKld).toBeGreaterThan(0.1);
    // ... the arithmetic column is float32 noise, and together they account for what ORT on q4 shows.
    expect(q4.arithmeticKld).toBeLessThan(1e-9);
    expect(Math.abs(kld('ort-node:cpu q4') - q4.quantizationKld) / q4.quantizationKld).toBeLessThan(1e-3);
    expect(split['ort-node:cpu fp32'].quantizationKld).toBeLessThan(1e-12);
  });

  it('holds the variants to a gate given on the command line (exit 1 naming the one that fails)', () => {
    const run = runCli([
      'compare',
      '--dtypes',
      'fp32,q4',
      '--backends',
      'ort-node:cpu',
      ...quick,
      '--max-mean-kld',
      '1e-6',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^decode-harness compare — FAILED/);
    expect(run.stderr).toMatch(/gate --max-mean-kld failed for ort-node:cpu q4: Mean KLD/);
    expect(run.stderr).not.toMatch(/failed for ort-node:cpu fp32/);
  });

  it.each([
    [['--dtypes', 'fp32,fp32'], /--dtypes lists fp32 twice/],
    [['--dtypes', 'fp32,int3'], /--dtypes: "int3" is not a graph dtype/],
    [['--dtypes', 'q4', '--dtype', 'q4'], /--dtypes lists the graphs to compare; drop --dtype/],
    [['--dtypes', 'fp32,fp16'], /has no onnx\/model_fp16\.onnx; variants present: fp32/],
  ])('refuses %j in one line, exit 2', (args, message) => {
    const run = runCli(['compare', '--backends', 'ort-node:cpu', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });
});
