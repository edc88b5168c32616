import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BisectRecord } from '../../harness/engine/bisect/bisect-record.ts';
import { withInitializerElement, withOpType } from '../helpers/graph-faults.ts';
import { runCli } from '../helpers/run-cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'bisect-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const GPT2 = join('fixtures', 'models', 'tiny-gpt2');

describe('decode-harness bisect', () => {
  it('ort-node:cpu against onnx:f64 on tiny-gpt2: every node compared, none parts, exit 0, reports written', () => {
    const out = join(scratch, 'reports');
    const run = runCli(['bisect', '--backends', 'ort-node:cpu,onnx:f64', '--json', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const record = JSON.parse(run.stdout) as BisectRecord;
    expect(record.schema).toBe('decode-harness/bisect@1');
    expect(record.rows).toHaveLength(92); // every node of tiny-gpt2's graph
    expect(record.parting).toBeNull();
    expect(record.firstOverflow).toBeNull();
    // float32 arithmetic against float64: nonzero, far below llama.cpp's 1e-7.
    const worst = Math.max(...record.rows.map((r) => r.nmse));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1e-10);
    for (const file of ['bisect.json', 'bisect.md', 'bisect.html'])
      expect(existsSync(join(out, file))).toBe(true);
    expect(readFileSync(join(out, 'bisect.html'), 'utf8')).toContain('NMSE per node along the graph');
    expect(readFileSync(join(out, 'bisect.md'), 'utf8')).toContain('LayerNormalization');
  });

  it('--against the q4 variant on ort-node:cpu parts at the first quantized MatMul and lists the node q4 drops, exit 1', () => {
    const run = runCli([
      'bisect',
      '--against',
      join(GPT2, 'onnx', 'model_q4.onnx'),
      '--backend',
      'ort-node:cpu',
      '--step',
      '1',
    ]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/first parting node: #\d+ \S+ h\.0\.attn\.c_attn/);
    expect(run.stdout).toMatch(
      /1 reference node without a counterpart \(no shared output name\): Transpose wte\.weight\.T/,
    );
  });

  it('text output names the first parting node with its worst element and inputs', () => {
    const faulty = join(scratch, 'nudged.onnx');
    withInitializerElement(
      join(GPT2, 'onnx', 'model.onnx'),
      faulty,
      'h.1.attn.c_proj.weight',
      3,
      (w) => w - 0.1,
    );
    const run = runCli(['bisect', '--against', faulty, '--backend', 'onnx:f64']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('first parting node: #72 MatMul h.1.attn.c_proj.matmul');
    expect(run.stdout).toMatch(/worst element \[0, \d+, 3\]: tested \S+ vs reference \S+/);
    expect(run.stdout).toContain('input h.1.ctx_merged: NMSE 0.00e+0');
    expect(run.stdout).toContain(
      'input h.1.attn.c_proj.weight: an initializer the two graphs hold DIFFERENTLY',
    );
  });
});

describe('bisect on a real gap: tiny-llama q8 on ort-node:cpu against its graph in float64', () => {
  // compare --dtypes finds this backend 0.049 off the q8 graph's float64 meaning (README); the
  // gap needs ORT's own fusions, so only the norms and projection outputs are exposed.
  const prompt = 'Once upon a time, in a small village by the sea,';
  const args = ['bisect', '--model', 'tiny-llama', '--dtype', 'q8', '--backends', 'ort-node:cpu,onnx:f64'];
  it('with its own cache at step 5 it parts at the fused lm_head product, its input still agreeing', () => {
    const run = runCli([
      ...args,
      '--prompt',
      prompt,
      '--step',
      '5',
      '--cache',
      'own',
      '--nodes',
      'norm\\.out$|_proj\\.out$',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(1);
    const record = JSON.parse(run.stdout) as BisectRecord;
    expect(record.cache).toBe('own');
    expect(record.pastError).toBeGreaterThan(0); // each side's own cache, not the reference's
    expect(record.parting?.node.name).toBe('logits_quant_output_scale_mul');
    expect(record.parting?.worst.maxAbsDiff).toBeGreaterThan(0.01);
    const norm = record.rows.find((r) => r.node.name === 'model.norm.out')!;
    expect(norm.nmse).toBeLessThan(1e-12);
  });
  it('with every tensor exposed nothing fuses and nothing parts; the shipped graphs still do', () => {
    const run = runCli([...args, '--prompt', prompt, '--step', '5', '--cache', 'own', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const record = JSON.parse(run.stdout) as BisectRecord;
    expect(record.parting).toBeNull();
    expect(record.exposure.plainLogits.maxAbsDiff).toBeGreaterThan(0.01);
    expect(record.exposure.exposedLogits.maxAbsDiff).toBeLessThan(1e-4);
  });
});

describe('compare and check catch an injected fault', () => {
  const dir = join(scratch, 'faulty-model');
  cpSync(GPT2, dir, { recursive: true });
  withInitializerElement(
    join(GPT2, 'onnx', 'model.onnx'),
    join(dir, 'onnx', 'model.onnx'),
    'h.1.mlp.c_fc.weight',
    5,
    (w) => w + 0.05,
  );

  it('compare against ts:f64 (the model’s own math) fails its gates on the faulty graph', () => {
    const run = runCli([
      'compare',
      '--model',
      dir,
      '--backends',
      'ort-node:cpu',
      '--reference',
      'ts:f64',
      '--max-new-tokens',
      '4',
    ]);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stderr).toMatch(/decode-harness compare: gate --max-mean-kld failed for ort-node:cpu/);
  });

  it('check refuses the goldens: the graph is not the one they were recorded for', () => {
    const run = runCli([
      'check',
      '--model',
      dir,
      '--golden',
      join('fixtures', 'golden', 'tiny-gpt2'),
      '--backends',
      'ort-node:cpu',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('differing: onnx/model.onnx');
  });
});

describe('bisect refuses bad input in one line, exit 2', () => {
  const sinGraph = join(scratch, 'sin.onnx');
  withOpType(join(GPT2, 'onnx', 'model.onnx'), sinGraph, 'h.0.mlp.gelu.tanh', 'Sin');
  const cases: [string, string[], RegExp][] = [
    ['one backend', ['--backends', 'ort-node:cpu'], /must name exactly two backends/],
    ['the same backend twice', ['--backends', 'onnx:f64,onnx:f64'], /names onnx:f64 twice/],
    [
      'a backend without a graph',
      ['--backends', 'ts:f64,onnx:f64'],
      /ts:f64 cannot expose .* bisect runs on onnx:f64, ort-node:cpu/,
    ],
    [
      'a pattern that is no regex',
      ['--backends', 'ort-node:cpu,onnx:f64', '--nodes', '('],
      /--nodes "\(" is not a regular expression/,
    ],
    [
      'a pattern matching no node',
      ['--backends', 'ort-node:cpu,onnx:f64', '--nodes', 'no-such-node'],
      /matches no node .* named like tok_emb/,
    ],
    [
      'a prompt longer than the context',
      ['--backends', 'ort-node:cpu,onnx:f64', '--prompt', 'fox '.repeat(300)],
      /--prompt encodes to \d+ tokens, over the model's context of 256; shorten --prompt/,
    ],
    [
      '--cache own at the prefill',
      ['--backends', 'ort-node:cpu,onnx:f64', '--cache', 'own'],
      /--cache own .* add --step N/,
    ],
    [
      'an unknown --cache',
      ['--backends', 'ort-node:cpu,onnx:f64', '--cache', 'mine'],
      /--cache "mine" must be reference or own/,
    ],
    [
      'a step past the context',
      ['--backends', 'ort-node:cpu,onnx:f64', '--step', '5000'],
      /--step 5000: .* last cached step is 247/,
    ],
    [
      'more memory than allowed',
      ['--backends', 'ort-node:cpu,onnx:f64', '--max-memory-mb', '1'],
      /over the 1\.0 MB budget; expose a subset with --nodes PATTERN/,
    ],
    [
      '--against beside --backends',
      ['--against', sinGraph, '--backends', 'ort-node:cpu,onnx:f64'],
      /pass --backend ID instead/,
    ],
    ['--against a missing file', ['--against', join(scratch, 'missing.onnx')], /no such file or directory/],
    [
      'an op onnx:f64 lacks',
      ['--against', sinGraph, '--backend', 'onnx:f64'],
      /no kernel for ai\.onnx:Sin \(first: h\.0\.mlp\.gelu\.tanh\)/,
    ],
  ];
  it.each(cases)('%s', (_, args, message) => {
    const run = runCli(['bisect', ...args]);
    expect(run.code, run.stdout).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(
      run.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('…')),
    ).toHaveLength(1);
  });
});
