#!/usr/bin/env tsx
/**
 * How far each quantized variant of a model moves the logits from its fp32 graph, on ort-node:cpu:
 * max |Δlogit| over every prefill position of one prompt, and at how many positions the argmax is
 * the same. The README's variant table for tiny-gpt2 is this script's output.
 *
 *   tsx scripts/variant-logit-drift.ts [--model tiny-gpt2] [--prompt TEXT]
 */
import { minimist } from 'zx';
import { createBackend } from '../harness/app/registry.ts';
import type { Logits } from '../harness/core/backend/contract.ts';
import { loadTokenizer } from '../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../harness/engine/model-gen/load-model-dir.ts';

const args = minimist(process.argv.slice(2), { string: ['model', 'prompt'] });
const modelArg: string = args.model ?? 'tiny-gpt2';
const prompt: string = args.prompt ?? 'The quick brown fox jumps over the lazy dog.';

const plain = await loadModelDir(modelArg, { dtype: 'fp32' });
const ids = (await loadTokenizer(plain)).encode(prompt);

async function allPositionLogits(dtype: string): Promise<Logits> {
  const source = await createBackend('ort-node:cpu', await loadModelDir(modelArg, { dtype }));
  try {
    return await source.prefill([ids], { allPositions: true });
  } finally {
    await source.dispose();
  }
}

function argmax(data: Logits['data'], offset: number, vocab: number): number {
  let best = 0;
  for (let v = 1; v < vocab; v++)
    if ((data[offset + v] as number) > (data[offset + best] as number)) best = v;
  return best;
}

const reference = await allPositionLogits('fp32');
console.log(`${modelArg}, ${ids.length} prefill positions of ${JSON.stringify(prompt)}, ort-node:cpu`);
for (const variant of plain.variants) {
  if (variant.dtype === 'fp32' || variant.dtype === null) continue;
  const logits = await allPositionLogits(variant.dtype);
  let maxAbs = 0;
  let sameArgmax = 0;
  for (let p = 0; p < reference.positions; p++) {
    const offset = p * reference.vocab;
    for (let v = 0; v < reference.vocab; v++) {
      maxAbs = Math.max(
        maxAbs,
        Math.abs((logits.data[offset + v] as number) - (reference.data[offset + v] as number)),
      );
    }
    if (argmax(logits.data, offset, reference.vocab) === argmax(reference.data, offset, reference.vocab))
      sameArgmax++;
  }
  console.log(
    `${variant.dtype.padEnd(6)} ${variant.file}: max |Δlogit| ${maxAbs.toFixed(2)}, argmax = fp32 at ${sameArgmax}/${reference.positions}`,
  );
}
