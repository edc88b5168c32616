import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedModelDir } from '../../harness/engine/model-gen/embedded-models.ts';
import { runCli } from '../helpers/run-cli.ts';

const out = mkdtempSync(join(tmpdir(), 'quantize-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('decode-harness quantize', () => {
  it('quantizes a graph whose weights are external data, reading them back, and writes fp16 too', () => {
    const dir = join(out, 'from-external');
    for (const dtype of ['q4', 'fp16']) {
      const run = runCli(['quantize', '--model', 'tiny-gpt2-onnx', '--dtype', dtype, '--out', dir]);
      expect(run.code, run.stderr).toBe(0);
    }
    const q4 = readFileSync(join(dir, 'onnx', 'model_q4.onnx'));
    expect(q4.includes('model.onnx_data')).toBe(false);
    // q4 stores the 4-bit codes inline: about as large as the embedded tiny-gpt2's q4 (15,073,683 bytes).
    expect(Math.abs(q4.byteLength - 15_073_683)).toBeLessThan(2_000);
    const generate = runCli([
      'generate',
      '--model',
      dir,
      '--dtype',
      'fp16',
      '--prompt',
      'Hi',
      '--max-new-tokens',
      '3',
    ]);
    expect(generate.code, generate.stderr).toBe(0);
  });

  it('writes a variant and the files beside it into --out, which then runs with --dtype', () => {
    const run = runCli([
      'quantize',
      '--model',
      'tiny-gpt2',
      '--dtype',
      'q4',
      '--block-size',
      '64',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /onnx\/model_q4\.onnx: q4 from onnx\/model\.onnx, \d+ bytes .*sha256 [0-9a-f]{64}/,
    );
    for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
    // Block size 64: fewer scales than the embedded q4's 32, so another file.
    const embedded = readFileSync(join(embeddedModelDir('tiny-gpt2'), 'onnx', 'model_q4.onnx'));
    expect(readFileSync(join(out, 'onnx', 'model_q4.onnx')).equals(embedded)).toBe(false);

    const generate = runCli([
      'generate',
      '--model',
      out,
      '--dtype',
      'q4',
      '--prompt',
      'Hello',
      '--max-new-tokens',
      '3',
      '--json',
    ]);
    expect(generate.code, generate.stderr).toBe(0);
    expect(JSON.parse(generate.stdout).tokenIds).toHaveLength(3);
  });

  it('replaces nothing without --yes, and refuses bad values before writing', () => {
    const target = join(out, 'onnx', 'model_q4.onnx');
    const before = statSync(target).mtimeMs;
    const again = runCli(['quantize', '--model', 'tiny-gpt2', '--dtype', 'q4', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/model_q4\.onnx exists; pass --yes to replace it/);
    expect(statSync(target).mtimeMs).toBe(before);

    const cases: [string[], RegExp][] = [
      [['--dtype', 'q4'], /--model tiny-gpt2 is generated .* pass --out DIR/],
      [
        ['--dtype', 'q5', '--out', out],
        /--dtype "q5" is not one the quantizer makes; pass one of fp16, q8, q4, q4f16/,
      ],
      [['--dtype', 'q8', '--block-size', '64', '--out', out], /--block-size applies to q4 and q4f16, not q8/],
      [['--dtype', 'q4', '--block-size', '48', '--out', out], /--block-size 48 is not a power of two/],
      [['--dtype', 'q4', '--block-size', '8', '--out', out], /--block-size/],
    ];
    for (const [args, message] of cases) {
      const run = runCli(['quantize', '--model', 'tiny-gpt2', ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
    expect(existsSync(join(out, 'onnx', 'model_quantized.onnx'))).toBe(false);
  });

  it('refuses an --out that holds another model', () => {
    const other = mkdtempSync(join(tmpdir(), 'quantize-other-'));
    try {
      const first = runCli(['quantize', '--model', 'tiny-llama', '--dtype', 'q8', '--out', other]);
      expect(first.code, first.stderr).toBe(0);
      const clash = runCli(['quantize', '--model', 'tiny-gpt2', '--dtype', 'q8', '--out', other, '--yes']);
      expect(clash.code).toBe(2);
      expect(clash.stderr).toMatch(/holds another config\.json than .*tiny-gpt2's/);
      expect(readFileSync(join(other, 'config.json'), 'utf8')).toContain('"llama"');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
