import { describe, expect, it } from 'vitest';
import { createBackend } from '../../harness/app/registry.ts';
import type { Logits, LogitsSource } from '../../harness/core/backend/contract.ts';
import { numLayers } from '../../harness/core/model/model-config.ts';
import { conformanceTolerance, maxAbsDiff } from '../../harness/engine/conformance/tolerances.ts';
import { EMBEDDED_MODEL_NAMES } from '../../harness/engine/model-gen/embedded-models.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

const ROWS = [
  [464, 2068, 7586, 21831, 18045, 625],
  [15496, 11],
];

/** Last-position logits of a padded prefill, two cached steps and a reorder: the calls decoding makes. */
async function calls(source: LogitsSource, rows: readonly number[][]): Promise<Logits[]> {
  const out = [await source.prefill(rows)];
  for (const t of [262, 290]) out.push(await source.step(rows.map(() => t)));
  await source.reorder(rows.map(() => 0));
  out.push(await source.step(rows.map(() => 13)));
  source.reset();
  return out;
}

/** Largest |Δlogit| over every call. */
function callsDiff(a: readonly Logits[], b: readonly Logits[]): number {
  return Math.max(...a.map((x, i) => maxAbsDiff(x.data, b[i]!.data)));
}

async function agreement(
  model: Parameters<typeof createBackend>[1],
  otherId: string,
  rows = ROWS,
): Promise<number> {
  const f64 = await createBackend('onnx:f64', model);
  const other = await createBackend(otherId, model);
  try {
    return callsDiff(await calls(f64, rows), await calls(other, rows));
  } finally {
    await f64.dispose();
    await other.dispose();
  }
}

describe('onnx:f64, the graph in float64', () => {
  /**
   * Two float64 implementations, one from the model's math (ts:f64, model.safetensors) and one from
   * the graph. They part only where the graph stores a constant rounded to its float type: gelu's
   * √(2/π) and 0.044715 and LayerNormalization's epsilon (a float32 attribute) in GPT-2, RoPE's
   * cos/sin tables in Llama, those and √hidden_size and query_pre_attn_scalar^-0.5 in Gemma-2, all
   * of them in float16 in the fp16 graph. Measured max |Δlogit|: 7.5e-8 (tiny-gpt2), 2.5e-6
   * (tiny-llama), 1.6e-6 (tiny-gemma2), 1.5e-4 (tiny-gpt2-fp16).
   */
  it.each([
    ['tiny-gpt2', 1e-6],
    ['tiny-llama', 1e-5],
    ['tiny-gemma2', 1e-5],
    ['tiny-gpt2-fp16', 1e-3],
  ])('%s: agrees with ts:f64 to the rounding of the graph’s own constants (≤ %s)', async (name, bound) => {
    const diff = await agreement(await loadModelDir(name), 'ts:f64');
    console.log(`onnx:f64 vs ts:f64 on ${name}: max |Δlogit| ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(bound);
  });

  const graphs = EMBEDDED_MODEL_NAMES.flatMap((name) => [{ name }]);
  it.each(graphs)(
    'runs every variant of $name, each agreeing with ort-node:cpu to its dtype’s tolerance',
    async ({ name }) => {
      const variants = (await loadModelDir(name)).variants;
      for (const variant of variants) {
        const model = await loadModelDir(name, { onnx: variant.file });
        // GroupQueryAttention graphs take right padding (test/layouts): one row there.
        const rows = name.endsWith('-genai') ? [ROWS[0]!] : ROWS;
        const diff = await agreement(model, 'ort-node:cpu', rows);
        const dtype =
          variant.dtype === 'fp16' || variant.dtype === 'q4f16' || name.endsWith('-fp16')
            ? 'float16'
            : 'float32';
        console.log(
          `onnx:f64 vs ort-node:cpu on ${name} ${variant.file}: max |Δlogit| ${diff.toExponential(2)}`,
        );
        expect(diff, `${name} ${variant.file}`).toBeLessThanOrEqual(
          conformanceTolerance(dtype, numLayers(model.config)),
        );
      }
    },
    120_000,
  );
});
