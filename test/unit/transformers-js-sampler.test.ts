import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../harness/core/rng/seeded-rng.ts';
import { createProcessorChain } from '../../harness/engine/decode/processors/processor-chain.ts';
import { transformersJsChoice } from '../../harness/engine/decode/processors/transformers-js-sampler.ts';

/*
 * transformers.js's own code path, not a re-typed copy: its package exports only the bundle, which
 * does not export LogitsSampler, so the test imports the package's shipped src (the files the bundle
 * is built from) by file URL. That src has its own module-global `random`, seeded here with
 * random.seed(n) exactly as a user would seed the bundle's exported `random`.
 */
const src = new URL(
  '../src/',
  pathToFileURL(createRequire(import.meta.url).resolve('@huggingface/transformers')),
);
const load = (path: string) => import(new URL(path, src).href);
const { LogitsSampler } = await load('generation/logits_sampler.js');
const { GenerationConfig } = await load('generation/configuration_utils.js');
const { PreTrainedModel } = await load('models/modeling_utils.js');
const { random } = await load('utils/random.js');
const { Tensor } = await load('utils/tensor.js');

interface Case {
  readonly vocab: number;
  readonly topK: number;
  readonly temperature: number;
  readonly repetitionPenalty: number;
  readonly noRepeatNgramSize: number;
  readonly minNewTokens: number;
}

/** Synthetic float32 logits for one step: coarse values (many ties) and a few -Infinity. */
function stepLogits(vocab: number, seed: number, step: number): Float32Array {
  const rng = createRng({ seed: seed * 1000 + step });
  return Float32Array.from({ length: vocab }, (_, i) =>
    i % 11 === 5 && step % 2 === 0 ? Number.NEGATIVE_INFINITY : Math.round((rng.next() - 0.5) * 40) / 8,
  );
}

const promptIds = [1, 2, 3, 1];
/** Generated ids, and each step's processed scores (bit-compared: float32 rounding after every write). */
interface Run {
  readonly ids: number[];
  readonly rows: Float32Array[];
}
const eosTokenIds = [0];
const steps = 6;

/** generate()'s loop body for do_sample with transformers.js's own chain and sampler. */
async function theirs(c: Case, seed: number): Promise<Run> {
  const config = new GenerationConfig({
    do_sample: true,
    top_k: c.topK,
    temperature: c.temperature,
    repetition_penalty: c.repetitionPenalty,
    no_repeat_ngram_size: c.noRepeatNgramSize,
    min_new_tokens: c.minNewTokens,
    eos_token_id: eosTokenIds,
  });
  const processors = PreTrainedModel.prototype._get_logits_processor.call(null, config, promptIds.length);
  const sampler = LogitsSampler.getSampler(config);
  random.seed(seed);
  const ids = promptIds.map(BigInt);
  const rows: Float32Array[] = [];
  for (let step = 0; step < steps; step++) {
    const logits = new Tensor('float32', stepLogits(c.vocab, seed, step), [1, c.vocab]);
    const scores = processors([ids], logits);
    rows.push(Float32Array.from(scores.data));
    const [[id]] = await sampler(scores[0]);
    ids.push(BigInt(id));
  }
  return { ids: ids.slice(promptIds.length).map(Number), rows };
}

/** Ours: the processor chain on a Float32Array row, then transformersJsChoice on an mt19937 stream. */
function ours(c: Case, seed: number): Run {
  const chain = createProcessorChain({
    doSample: true,
    temperature: c.temperature,
    repetitionPenalty: c.repetitionPenalty,
    noRepeatNgramSize: c.noRepeatNgramSize,
    minNewTokens: c.minNewTokens,
    eosTokenIds,
  });
  const rng = createRng({ algorithm: 'mt19937', seed });
  const ids = [...promptIds];
  const rows: Float32Array[] = [];
  for (let step = 0; step < steps; step++) {
    const row = stepLogits(c.vocab, seed, step);
    chain.apply(row, { ids, promptLength: promptIds.length });
    rows.push(row);
    ids.push(transformersJsChoice(row, c.topK, rng).id);
  }
  return { ids: ids.slice(promptIds.length), rows };
}

/** The first index where two float32 rows differ bit for bit, or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const [x, y] = [
    new Uint32Array(a.buffer, a.byteOffset, a.length),
    new Uint32Array(b.buffer, b.byteOffset, b.length),
  ];
  if (x.length !== y.length) return 0;
  return x.findIndex((bits, i) => bits !== y[i]);
}

const cases: Case[] = [
  { vocab: 7, topK: 0, temperature: 1, repetitionPenalty: 1, noRepeatNgramSize: 0, minNewTokens: 0 },
  { vocab: 50, topK: 50, temperature: 1, repetitionPenalty: 1, noRepeatNgramSize: 0, minNewTokens: 0 },
  { vocab: 300, topK: 3, temperature: 0.7, repetitionPenalty: 1.3, noRepeatNgramSize: 0, minNewTokens: 0 },
  { vocab: 300, topK: 0, temperature: 1.7, repetitionPenalty: 0.8, noRepeatNgramSize: 2, minNewTokens: 3 },
  { vocab: 1000, topK: 40, temperature: 0.3, repetitionPenalty: 1.1, noRepeatNgramSize: 1, minNewTokens: 2 },
  { vocab: 64, topK: 1, temperature: 1, repetitionPenalty: 1, noRepeatNgramSize: 3, minNewTokens: 0 },
  { vocab: 20, topK: 100, temperature: 0.9, repetitionPenalty: 2, noRepeatNgramSize: 0, minNewTokens: 0 },
];

describe('transformersJsChoice reproduces transformers.js 4.3.1 generate({ do_sample: true })', () => {
  it.each(cases)(
    'vocab $vocab, top_k $topK, T $temperature, penalty $repetitionPenalty, ngram $noRepeatNgramSize',
    async (c) => {
      for (let seed = 0; seed < 60; seed++) {
        const [mine, reference] = [ours(c, seed), await theirs(c, seed)];
        expect(mine.ids, `seed ${seed}`).toEqual(reference.ids);
        mine.rows.forEach((row, step) => {
          expect(firstBitDifference(row, reference.rows[step]!), `seed ${seed} step ${step}`).toBe(-1);
        });
      }
    },
  );

  it('transformers.js builds no top_p or min_p step (a documented deviation from HF)', () => {
    const config = new GenerationConfig({
      do_sample: true,
      top_p: 0.5,
      min_p: 0.2,
      temperature: 0.5,
      top_k: 5,
    });
    const processors = PreTrainedModel.prototype._get_logits_processor.call(null, config, 1);
    expect(processors.processors.map((p: object) => p.constructor.name)).toEqual(['TemperatureLogitsWarper']);
  });

  it('keeps exactly k where HF keeps every token tied with the k-th', async () => {
    const row = Float32Array.from([0, 5, 5, 5, 1]);
    const seen = new Set<number>();
    for (let seed = 0; seed < 200; seed++)
      seen.add(transformersJsChoice(row, 2, createRng({ algorithm: 'mt19937', seed })).id);
    expect([...seen].sort()).toEqual([1, 2]);
  });

  it("reports the coin and the interval it fell in, in the sampler's own units", () => {
    const choice = transformersJsChoice(
      Float32Array.from([0, Math.log(3)]),
      0,
      createRng({ algorithm: 'mt19937', seed: 42 }),
    );
    expect(choice.coin).toBe(0.6394267984578837);
    expect(choice.id).toBe(1); // probabilities 0.75 (id 1) then 0.25 (id 0)
    expect(choice.cdfLow).toBe(0);
    expect(choice.cdfHigh).toBeCloseTo(0.75, 6);
  });
});
