import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultGoldenDir } from '../../harness/engine/golden/golden-dir.ts';
import { runCli } from '../helpers/run-cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'repository-goldens-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const tokenIds = (file: string): number[][] =>
  JSON.parse(readFileSync(file, 'utf8')).expected.sequences.map((s: { tokenIds: number[] }) => s.tokenIds);

describe('goldens of an ONNX-only repository', () => {
  it('record on onnx:f64 (no safetensors) gives the tokens ts:f64 recorded for the same weights, and check passes on the CPU backends', () => {
    const golden = join(scratch, 'tiny-gpt2-onnx');
    const record = runCli(['record', '--model', 'tiny-gpt2-onnx', '--golden', golden, '--yes']);
    expect(record.code, record.stderr).toBe(0);
    expect(record.stdout).toMatch(/38 cases for tiny-gpt2-onnx \(onnx\/model\.onnx\) on onnx:f64/);
    // An independent reference: tiny-gpt2's committed goldens, recorded by ts:f64 from model.safetensors.
    const committed = defaultGoldenDir('tiny-gpt2');
    const cases = readdirSync(committed).filter((f) => f.endsWith('.json'));
    expect(
      readdirSync(golden)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(cases.sort());
    for (const file of cases)
      expect(tokenIds(join(golden, file)), file).toEqual(tokenIds(join(committed, file)));

    // Software GPU adapters take ~15 s a case; they check this graph's logits in layout-equivalence.test.ts.
    const check = runCli([
      'check',
      '--model',
      'tiny-gpt2-onnx',
      '--golden',
      golden,
      '--backends',
      'ort-node:cpu,ort-web:wasm,chromium:wasm',
      '--json',
    ]);
    expect(check.code, check.stderr).toBe(0);
    const result = JSON.parse(check.stdout);
    expect(result.passed).toBe(true);
    expect(
      result.backends.map((b: { id?: string; backend?: { id: string } }) => b.id ?? b.backend?.id),
    ).toEqual(['ort-node:cpu', 'ort-web:wasm', 'chromium:wasm']);
  });
});
