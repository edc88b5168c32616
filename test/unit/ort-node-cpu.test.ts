import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PaddedBatch } from '../../backends/onnx-shared/padded-batch.ts';
import { ortNodeCpuFactory } from '../../backends/ort-node/factories.ts';
import { OrtNodeSource } from '../../backends/ort-node/ort-node-source.ts';
import { Gpt2F64 } from '../../backends/ts-kernels/gpt2-f64.ts';
import { gpt2Weights } from '../../backends/ts-kernels/gpt2-weights.ts';
import { type Logits, type LogitsSource, logitsRow } from '../../harness/core/backend/contract.ts';
import { ModelDirError, UsageError } from '../../harness/core/errors.ts';
import type { Gpt2Config } from '../../harness/core/model/families/gpt2.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { generateGpt2Weights } from '../../harness/engine/model-gen/generate-gpt2-weights.ts';
import { SMALL_GPT2_CONFIG } from '../helpers/small-gpt2-config.ts';
import { randomGpt2OnnxDir } from './helpers/random-gpt2-onnx-dir.ts';

const CONFIG: Gpt2Config = SMALL_GPT2_CONFIG;
const SEED = 7;
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'ort-node-cpu-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function randomModelDir(name: string, config: Gpt2Config, graphConfig: Gpt2Config = config): ModelDir {
  return randomGpt2OnnxDir(tmpRoot, name, SEED, config, graphConfig);
}

const model = randomModelDir('random', CONFIG);
const reference = (): Gpt2F64 =>
  new Gpt2F64(gpt2Weights(generateGpt2Weights(CONFIG, SEED), CONFIG, Float64Array, 'random weights'));

const open: LogitsSource[] = [];
async function ort(dir: ModelDir = model): Promise<OrtNodeSource> {
  const source = await OrtNodeSource.open(dir, { threads: 1 });
  open.push(source);
  return source;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.dispose()));
});

/** max |a - b| over row `b` column `p` of both logits. */
function maxAbsDiff(a: Logits, b: Logits, rowA: number, rowB: number, posA?: number, posB?: number): number {
  const x = logitsRow(a, rowA, posA);
  const y = logitsRow(b, rowB, posB);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

const PROMPT = [5, 17, 3, 88, 42, 9, 61];

describe('ort-node:cpu on a random GPT-2', () => {
  it('reports what ran: CPU execution provider, float32, the thread count, versions', async () => {
    const source = await ort();
    expect(source.info).toMatchObject({
      id: 'ort-node:cpu',
      deviceKind: 'cpu',
      executionProvider: 'CPUExecutionProvider',
      dtype: 'float32',
      threads: 1,
      versions: { 'onnxruntime-node': '1.30.0', 'onnxruntime-common': '1.30.0' },
    });
    expect(source.info.device).toMatch(/^cpu \(.+\)$/);
    expect([source.vocabSize, source.maxPositions]).toEqual([97, 32]);
  });

  it('matches the ts:f64 reference at every prefill position and every step (max |Δlogit| < 1e-4)', async () => {
    const source = await ort();
    const f64 = reference();
    const got = await source.prefill([PROMPT], { allPositions: true });
    const want = await f64.prefill([PROMPT], { allPositions: true });
    for (let p = 0; p < PROMPT.length; p++) expect(maxAbsDiff(got, want, 0, 0, p, p)).toBeLessThan(1e-4);
    for (const token of [11, 0, 96]) {
      expect(maxAbsDiff(await source.step([token]), await f64.step([token]), 0, 0)).toBeLessThan(1e-4);
    }
  });

  it('prefill then steps equals one prefill of the whole sequence', async () => {
    const whole = await (await ort()).prefill([PROMPT], { allPositions: true });
    const source = await ort();
    const first = await source.prefill([PROMPT.slice(0, 3)]);
    expect(first.positions).toBe(1);
    expect(maxAbsDiff(first, whole, 0, 0, 0, 2)).toBeLessThan(1e-5);
    for (let p = 3; p < PROMPT.length; p++) {
      expect(maxAbsDiff(await source.step([PROMPT[p]!]), whole, 0, 0, 0, p)).toBeLessThan(1e-5);
    }
  });

  it('a left-padded batch row equals the same row run alone, through prefill and steps', async () => {
    const rows = [PROMPT, [40, 2], [7, 7, 7, 1]];
    const batched = await ort();
    let batchLogits = await batched.prefill(rows);
    const alone = await Promise.all(rows.map(() => ort()));
    const aloneLogits = await Promise.all(rows.map((row, b) => alone[b]!.prefill([row])));
    // Pad columns' keys/values come from fully masked queries; were they NaN, 0 · NaN in probs @ V
    // would poison the real tokens too, so equality here also proves the padded cache is finite.
    const expectSame = (): void => {
      for (let b = 0; b < rows.length; b++) {
        expect(maxAbsDiff(batchLogits, aloneLogits[b]!, b, 0)).toBeLessThan(1e-5);
      }
    };
    expectSame();
    for (const tokens of [
      [1, 14, 27],
      [32, 45, 58],
      [63, 76, 89],
    ]) {
      batchLogits = await batched.step(tokens);
      for (let b = 0; b < rows.length; b++) aloneLogits[b] = await alone[b]!.step([tokens[b]!]);
      expectSame();
    }
  });

  it('reorder continues each new row from its source row (beam search)', async () => {
    const rows = [PROMPT, [40, 2, 8]];
    const source = await ort();
    await source.prefill(rows);
    await source.reorder([1, 1, 0]);
    const got = await source.step([4, 5, 6]);
    expect([got.batch, got.positions]).toEqual([3, 1]);
    const cases: [number, number[]][] = [
      [0, [...rows[1]!, 4]],
      [1, [...rows[1]!, 5]],
      [2, [...rows[0]!, 6]],
    ];
    for (const [b, sequence] of cases) {
      const want = await (await ort()).prefill([sequence]);
      expect(maxAbsDiff(got, want, b, 0)).toBeLessThan(1e-5);
    }
  });

  it('lays out left padding as transformers does: mask 0 and position 1 on pads', () => {
    const { batch, inputIds, positionIds } = PaddedBatch.fromRows([[5, 6, 7], [8]], 96);
    expect(Array.from(inputIds, Number)).toEqual([5, 6, 7, 96, 96, 8]);
    expect(Array.from(positionIds, Number)).toEqual([0, 1, 2, 1, 1, 0]);
    const next = batch.grown();
    expect(Array.from(next.writeMask(new BigInt64Array(16)), Number)).toEqual([1, 1, 1, 1, 0, 0, 1, 1]);
    expect([next.lastPosition(0), next.lastPosition(1)]).toEqual([3, 1]);
  });
});

describe('ort-node:cpu rejects bad input with the value and the fix', () => {
  it('an empty row, an out-of-vocabulary id, a prompt longer than n_positions', async () => {
    const source = await ort();
    await expect(source.prefill([PROMPT, []])).rejects.toThrow(/prefill row 1 is empty/);
    await expect(source.prefill([[1, 97]])).rejects.toThrow(
      /token id 97 at row 0 position 1 is outside .*\[0, 97\)/,
    );
    await expect(source.prefill([[-1]])).rejects.toBeInstanceOf(UsageError);
    await expect(source.prefill([Array(33).fill(1)])).rejects.toThrow(/sequence length 33 .*maxPositions 32/);
  });

  it('a step past n_positions, a wrong token count, a bad reorder, a step before prefill', async () => {
    const source = await ort();
    await expect(source.step([1])).rejects.toThrow(/step called with no rows; call prefill first/);
    await source.prefill([Array(31).fill(1)]);
    await expect(source.step([1, 2])).rejects.toThrow(/step got 2 tokens for a batch of 1 rows/);
    await expect(source.step([1.5])).rejects.toBeInstanceOf(UsageError);
    await expect(source.reorder([1])).rejects.toThrow(/reorder source row 1 does not exist/);
    await expect(source.reorder([])).rejects.toThrow(/at least one source row/);
    await source.step([1]);
    await expect(source.step([1])).rejects.toThrow(/sequence length 33 .*maxPositions 32/);
    source.reset();
    await expect(source.reorder([0])).rejects.toThrow(/call prefill first/);
    await source.dispose();
    await expect(source.prefill([[1]])).rejects.toThrow(/prefill called after dispose\(\)/);
  });

  it('a graph whose layers or vocab disagree with config.json, naming both', async () => {
    const threeLayers = randomModelDir('three-layers', CONFIG, { ...CONFIG, n_layer: 3 });
    await expect(ort(threeLayers)).rejects.toBeInstanceOf(ModelDirError);
    await expect(ort(threeLayers)).rejects.toThrow(
      /three-layers.*model\.onnx does not match .*config\.json: the graph has 3 layers of past_key_values inputs but config.json says 2/,
    );
    const vocab = randomModelDir('vocab', { ...CONFIG, vocab_size: 98 }, CONFIG);
    await expect(ort(vocab)).rejects.toThrow(/output logits has dim 2 = 97 .*config implies 98/);
    const heads = randomModelDir('heads', { ...CONFIG, n_head: 4 }, CONFIG);
    await expect(ort(heads)).rejects.toThrow(/input past_key_values.0.key has dim 1 = 2 .*config implies 4/);
  });

  it('a file that is not an ONNX model, and a bad thread count', async () => {
    const dir = randomModelDir('garbage', CONFIG);
    writeFileSync(dir.onnxPath, 'not onnx');
    await expect(ort(dir)).rejects.toThrow(/onnxruntime could not load .*garbage.*model\.onnx/);
    await expect(OrtNodeSource.open(model, { threads: 0 })).rejects.toThrow(
      /threads 0 is not a positive integer/,
    );
  });
});

describe('ortNodeCpuFactory', () => {
  it('creates a source that reports the factory id', async () => {
    const source = await ortNodeCpuFactory.create(model, { threads: 1 });
    open.push(source);
    expect(source.info.id).toBe(ortNodeCpuFactory.id);
  });
});
