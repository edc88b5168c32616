import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { afterEach, describe, expect, it } from 'vitest';
import { allBackendFactories, createBackend } from '../../harness/app/registry.ts';
import { type Logits, type LogitsSource, logitsRow } from '../../harness/core/backend/contract.ts';
import { BackendUnavailable } from '../../harness/core/errors.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { conformanceTolerance, maxAbsDiff } from '../../harness/engine/conformance/tolerances.ts';
import { greedy } from '../../harness/engine/decode/greedy.ts';
import { eosTokenIds } from '../../harness/engine/model/eos-token-ids.ts';
import { loadTokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { requireAvailable } from '../helpers/backends.ts';
import { FULL_MATRIX } from '../helpers/full-matrix.ts';

/**
 * Each repository layout of an embedded model computes its base model's function: the same
 * weights, with num_logits_to_keep, external data, a merged decoder or positions derived inside
 * the graph. On every ONNX backend that runs both, the layout's logits must equal the base's
 * through the model calls decoding makes: a padded two-row prefill (all positions and the last
 * only), cached steps, and a beam reorder. Software GPU adapters run one pair per rewiring (PAIRS).
 */
/**
 * Largest |Δlogit| allowed. The graphs do the same float32 operations in the same order, so on the
 * CPU providers they agree bit for bit (measured: 0); a GPU provider may fuse a rewired graph
 * differently, which stays at float32 rounding of logits of magnitude ~10.
 */
const TOLERANCE = 1e-5;
/**
 * For a graph that computes attention in another kernel (GroupQueryAttention: fused scores,
 * softmax and rotary), float32 noise in another order: the conformance suite's float32 tolerance.
 */
const FLOAT32_TOLERANCE = conformanceTolerance('float32', 2);

/**
 * `rows`: `padded` runs a left-padded two-row batch; `single` one row, for GroupQueryAttention
 * graphs, which read every row as starting at cache column 0 (right padding; see below).
 * `slowBackendSubset`: the pairs a software GPU adapter (SwiftShader, 10–70 s a pair here) or a page
 * backend runs in npm test, one per way a layout rewires the graph: external data with num_logits_to_keep, Optimum's
 * merged decoder, GroupQueryAttention. They come first, so a backend is known to be one before the
 * rest. npm run test:full runs every pair (q4's MatMulNBits on SwiftShader alone takes 45–70 s).
 */
const PAIRS: readonly {
  layout: string;
  base: string;
  dtype: string;
  rows?: 'single';
  tolerance?: number;
  slowBackendSubset?: true;
}[] = [
  { layout: 'tiny-gpt2-onnx', base: 'tiny-gpt2', dtype: 'fp32', slowBackendSubset: true },
  { layout: 'tiny-gpt2-optimum', base: 'tiny-gpt2', dtype: 'fp32', slowBackendSubset: true },
  {
    layout: 'tiny-llama-genai',
    base: 'tiny-llama',
    dtype: 'fp32',
    rows: 'single',
    tolerance: FLOAT32_TOLERANCE,
    slowBackendSubset: true,
  },
  { layout: 'tiny-gpt2-onnx', base: 'tiny-gpt2', dtype: 'q4' },
  { layout: 'tiny-gpt2-onnx', base: 'tiny-gpt2', dtype: 'q8' },
  { layout: 'tiny-llama-onnx', base: 'tiny-llama', dtype: 'fp32' },
  { layout: 'tiny-llama-optimum', base: 'tiny-llama', dtype: 'fp32' },
  {
    layout: 'tiny-llama-genai',
    base: 'tiny-llama',
    dtype: 'q4',
    rows: 'single',
    tolerance: FLOAT32_TOLERANCE,
  },
];

const ONNX_BACKENDS = allBackendFactories().filter((f) => !f.id.startsWith('ts:'));

function logitsDiff(a: Logits, b: Logits): number {
  expect([a.batch, a.positions, a.vocab]).toEqual([b.batch, b.positions, b.vocab]);
  return maxAbsDiff(a.data, b.data);
}

/** The model calls of a decode of `rows` (one or two), each call's logits. */
async function calls(source: LogitsSource, rows: readonly number[][]): Promise<Logits[]> {
  const tokens = (t: number) => rows.map((_, r) => t + r);
  const out = [await source.prefill(rows, { allPositions: true })];
  source.reset();
  out.push(await source.prefill(rows));
  for (const token of [11, 262, 290]) out.push(await source.step(tokens(token)));
  await source.reorder(rows.map(() => rows.length - 1));
  out.push(await source.step(tokens(13)));
  source.reset();
  return out;
}

describe.each(ONNX_BACKENDS)('layouts on $id', (factory) => {
  /** Disposed after each test: a Chromium backend is a browser. */
  const opened: LogitsSource[] = [];
  afterEach(async () => {
    for (const source of opened.splice(0)) await source.dispose();
  });

  /**
   * Set once a pair has opened this backend on a software GPU adapter. A page backend starts a
   * browser per graph (two a pair, ~7 s on chromium:wasm here), so it runs the same subset.
   */
  let softwareAdapter = false;
  const pageBackend = factory.id.startsWith('chromium:');

  it.for(PAIRS)(
    '$layout $dtype computes $base $dtype',
    async ({ layout, base, dtype, rows: shape, tolerance, slowBackendSubset: inSubset }, ctx) => {
      if (!(await requireAvailable(factory, ctx))) return;
      if ((softwareAdapter || pageBackend) && !inSubset && !FULL_MATRIX) {
        const kind = softwareAdapter ? 'a software GPU adapter' : 'a page backend (a browser per graph)';
        const reason = `${factory.id} ${layout} ${dtype}: ${kind}, run on the pairs marked slowBackendSubset only in npm test (npm run test:full runs every pair)`;
        console.warn(`SKIP ${reason}`);
        ctx.skip(reason);
        return;
      }
      const open = async (model: ModelDir): Promise<LogitsSource | null> => {
        try {
          const source = await createBackend(factory.id, model);
          opened.push(source);
          return source;
        } catch (err) {
          if (!(err instanceof BackendUnavailable)) throw err;
          return null;
        }
      };
      const baseModel = await loadModelDir(base, { dtype });
      const layoutModel = await loadModelDir(layout, { dtype });
      const baseSource = await open(baseModel);
      const layoutSource = await open(layoutModel);
      if (baseSource?.info.deviceKind === 'software-gpu') softwareAdapter = true;
      // A backend that cannot run the base graph (q8 on WebGPU) must refuse the layout too, and the reverse.
      expect(
        layoutSource === null,
        `${factory.id} runs exactly one of ${base} and ${layout} at ${dtype}`,
      ).toBe(baseSource === null);
      if (baseSource === null || layoutSource === null) {
        console.warn(
          `SKIP ${factory.id} ${layout} ${dtype}: the backend cannot run this graph (nor its base)`,
        );
        ctx.skip();
        return;
      }
      const tokenizer = await loadTokenizer(baseModel);
      const texts =
        shape === 'single' ? ['The quick brown fox jumps'] : ['The quick brown fox jumps', 'Hello'];
      const rows = texts.map((text) => tokenizer.encode(text));
      const expected = await calls(baseSource, rows);
      const actual = await calls(layoutSource, rows);
      const diffs = actual.map((logits, i) => logitsDiff(logits, expected[i]!));
      console.log(
        `${factory.id} ${layout} ${dtype} vs ${base}: max |Δlogit| per call ${diffs.map((d) => d.toExponential(1)).join(' ')}`,
      );
      for (const diff of diffs) expect(diff).toBeLessThanOrEqual(tolerance ?? TOLERANCE);
    },
  );
});

/** transformers.js's options to find each layout's graph: onnx/model.onnx, or Optimum's root merged decoder. */
const TRANSFORMERS_JS_FILES: Readonly<Record<string, { subfolder?: string; model_file_name?: string }>> = {
  'tiny-gpt2-onnx': {},
  'tiny-llama-onnx': {},
  'tiny-gpt2-optimum': { subfolder: '', model_file_name: 'decoder_model_merged' },
  'tiny-llama-optimum': { subfolder: '', model_file_name: 'decoder_model_merged' },
  'tiny-llama-genai': { subfolder: '' },
};

describe('each layout as transformers.js loads it', () => {
  it.for(Object.entries(TRANSFORMERS_JS_FILES))(
    '%s: transformers.js generate() greedy continues as ort-node:cpu on the base model does',
    async ([layout, files]) => {
      const base = PAIRS.find((p) => p.layout === layout)!.base;
      const baseModel = await loadModelDir(base);
      const layoutModel = await loadModelDir(layout);
      const tokenizer = await loadTokenizer(baseModel);
      const ids = tokenizer.encode('The quick brown fox');
      const source = await createBackend('ort-node:cpu', baseModel);
      let expected: number[];
      try {
        const result = await greedy(source, ids, {
          maxNewTokens: 16,
          eosTokenIds: eosTokenIds(baseModel),
          recordTopK: 1,
        });
        expected = [...result.sequences[0]!.tokenIds];
      } finally {
        await source.dispose();
      }
      env.allowRemoteModels = false;
      const peer = await AutoModelForCausalLM.from_pretrained(layoutModel.path, {
        local_files_only: true,
        dtype: 'fp32',
        device: 'cpu',
        ...files,
      });
      try {
        const output = (await peer.generate({
          input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
          attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
          max_new_tokens: 16,
          do_sample: false,
        })) as Tensor;
        expect(Array.from(output.data as BigInt64Array, Number).slice(ids.length)).toEqual(expected);
      } finally {
        await peer.dispose();
      }
    },
  );
});

describe('GroupQueryAttention graphs and left padding', () => {
  it('tiny-llama-genai matches tiny-llama on the unpadded row of a batch and not on the left-padded one (the op reads rows as right-padded)', async () => {
    const base = await createBackend('ort-node:cpu', await loadModelDir('tiny-llama'));
    const gqa = await createBackend('ort-node:cpu', await loadModelDir('tiny-llama-genai'));
    try {
      const tokenizer = await loadTokenizer(await loadModelDir('tiny-llama'));
      const rows = ['The quick brown fox jumps', 'Hello'].map((text) => tokenizer.encode(text));
      const [expected, actual] = [await base.prefill(rows), await gqa.prefill(rows)];
      const rowDiff = (r: number) => maxAbsDiff(logitsRow(actual, r), logitsRow(expected, r));
      console.log(
        `GroupQueryAttention, left-padded batch: unpadded row ${rowDiff(0).toExponential(1)}, padded row ${rowDiff(1).toExponential(1)}`,
      );
      expect(rowDiff(0)).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
      expect(rowDiff(1)).toBeGreaterThan(1);
    } finally {
      await base.dispose();
      await gqa.dispose();
    }
  });
});
