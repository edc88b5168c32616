import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendFactory, createBackend } from '../../harness/app/registry.ts';
import type { LogitsSource } from '../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { compareBackends } from '../../harness/engine/compare/compare-backends.ts';
import type {
  BackendAgreement,
  CompareRecord,
  GreedyAgreement,
} from '../../harness/engine/compare/compare-record.ts';
import { DEFAULT_COMPARE_PROMPTS } from '../../harness/engine/compare/prompt-set.ts';
import { eosTokenIds } from '../../harness/engine/model/eos-token-ids.ts';
import { modelIdentity } from '../../harness/engine/model/model-identity.ts';
import { loadTokenizer, type Tokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { droppingKvCache } from '../faulty-backends/dropping-kv-cache.ts';
import { NoisyLogits } from '../faulty-backends/noisy-logits.ts';
import { OffByOnePositions } from '../faulty-backends/off-by-one-positions.ts';
import { wrongLayerNormEps } from '../faulty-backends/wrong-layer-norm-eps.ts';

/**
 * Proof that `compare` finds real problems: faulty variants of real backends on tiny-gpt2 must each
 * fail a default gate and be flagged at the step where the fault first acts, while the clean
 * backends pass the same gates.
 */
const MAX_NEW_TOKENS = 16;
const NOISE_SIGMAS = [1e-4, 1e-3, 1e-2] as const;
const OFF_BY_ONE_FROM_STEP = 4;
const KV_CACHE_ENTRIES = 30; // a little above the longest built-in prompt (27 tokens)

let model: ModelDir;
let tokenizer: Tokenizer;
let reference: LogitsSource;
let prompts: { text: string; ids: number[] }[];

beforeAll(async () => {
  model = await loadModelDir('tiny-gpt2');
  tokenizer = await loadTokenizer(model);
  reference = await createBackend('ts:f64', model);
  prompts = DEFAULT_COMPARE_PROMPTS.map((text) => ({ text, ids: tokenizer.encode(text) }));
});
afterAll(async () => {
  await reference?.dispose();
});

async function compare(backends: LogitsSource[]): Promise<CompareRecord<GreedyAgreement>> {
  try {
    return await compareBackends({
      model: { name: model.name, path: model.path, graph: (await modelIdentity(model)).graph },
      reference,
      referenceChoice: 'ts:f64, as the test opens it',
      backends,
      prompts,
      maxNewTokens: MAX_NEW_TOKENS,
      eosTokenIds: eosTokenIds(model),
      tokenText: (id) => tokenizer.tokenText(id),
      gates: {},
    });
  } finally {
    for (const source of backends) await source.dispose();
  }
}

function agreement(record: CompareRecord<GreedyAgreement>, id: string): BackendAgreement<GreedyAgreement> {
  const found = record.backends.find((a) => a.backend.id === id);
  if (!found) throw new Error(`no backend ${id} in the record`);
  return found;
}

const failedGates = (a: BackendAgreement) => a.gates.filter((g) => !g.passed).map((g) => g.gate);

describe('clean backends on tiny-gpt2', () => {
  it('ts:f32 and ort-node:cpu pass the default gates against ts:f64', async () => {
    const ids = ['ts:f32'];
    const ort = await backendFactory('ort-node:cpu').availability();
    if (ort.available) ids.push('ort-node:cpu');
    else console.warn(`SKIP ort-node:cpu in the clean comparison: ${ort.reason}`);
    const record = await compare(await Promise.all(ids.map((id) => createBackend(id, model))));
    expect(record.passed).toBe(true);
    for (const a of record.backends) {
      expect(failedGates(a), a.backend.id).toEqual([]);
      expect(a.firstFlagged, a.backend.id).toBeNull();
      expect(a.greedy.identical, a.backend.id).toBe(prompts.length);
      expect(a.summary.sameTop.fraction).toBe(1);
      // Measured ~3e-13 (ts:f32) and ~8e-12 (ort-node:cpu): far below the 1e-9 default.
      expect(a.summary.kld.mean).toBeLessThan(1e-10);
    }
  });
});

describe('faulty backends are caught at the step that shows the fault', () => {
  let record: CompareRecord<GreedyAgreement>;
  const noiseId = (sigma: number) => `faulty:noise-${sigma}`;
  const offByOneId = `faulty:position-off-by-one-from-step-${OFF_BY_ONE_FROM_STEP}`;
  const epsId = 'faulty:layer-norm-eps-0.1';
  const kvId = `faulty:kv-cache-drops-oldest-beyond-${KV_CACHE_ENTRIES}`;

  beforeAll(async () => {
    const noisy = await Promise.all(
      NOISE_SIGMAS.map(
        async (sigma) =>
          new NoisyLogits(await createBackend('ts:f32', model), sigma, seedrandom(`noise ${sigma}`)),
      ),
    );
    record = await compare([
      ...noisy,
      OffByOnePositions.create(model, OFF_BY_ONE_FROM_STEP),
      await wrongLayerNormEps(model, 1e-1),
      droppingKvCache(model, KV_CACHE_ENTRIES),
    ]);
  });

  it('(a) noise on every logit: KLD and NMSE grow as σ², flagged from step 0', () => {
    const runs = NOISE_SIGMAS.map((sigma) => agreement(record, noiseId(sigma)));
    const kld = runs.map((a) => a.summary.kld.mean);
    for (let i = 1; i < runs.length; i++) {
      const ratio = NOISE_SIGMAS[i]! / NOISE_SIGMAS[i - 1]!;
      expect(kld[i]! / kld[i - 1]!).toBeGreaterThan(0.5 * ratio ** 2);
      expect(kld[i]! / kld[i - 1]!).toBeLessThan(2 * ratio ** 2);
      expect(runs[i]!.summary.nmse).toBeGreaterThan(runs[i - 1]!.summary.nmse);
      expect(runs[i]!.summary.maxAbsLogitDiff).toBeGreaterThan(runs[i - 1]!.summary.maxAbsLogitDiff);
      expect(runs[i]!.summary.deltaP.rms).toBeGreaterThan(runs[i - 1]!.summary.deltaP.rms);
    }
    runs.forEach((a, i) => {
      // KL ≈ ½·Var_p(noise) ≤ σ²/2.
      const sigma = NOISE_SIGMAS[i]!;
      expect(a.summary.kld.mean).toBeGreaterThan(0.25 * sigma ** 2);
      expect(a.summary.kld.mean).toBeLessThan(0.5 * sigma ** 2);
      expect(failedGates(a)).toEqual(expect.arrayContaining(['max-mean-kld', 'max-abs-logit-diff']));
      expect(a.firstFlagged?.step).toBe(0);
    });
  });

  it('(b) an off-by-one position id from the 4th cached step: flagged at step 4, clean before', () => {
    const a = agreement(record, offByOneId);
    expect(a.passed).toBe(false);
    expect(failedGates(a)).toContain('max-mean-kld');
    expect(a.firstFlagged).toMatchObject({ step: OFF_BY_ONE_FROM_STEP, prompt: 0 });
    const before = a.positions.filter((p) => p.step < OFF_BY_ONE_FROM_STEP);
    expect(Math.max(...before.map((p) => p.maxAbsLogitDiff))).toBeLessThan(1e-4);
    // Greedy leaves the reference where the fault starts, on every prompt, and not as a near-tie.
    expect(a.greedy.divergences.map((d) => d.step)).toEqual(prompts.map(() => OFF_BY_ONE_FROM_STEP));
    expect(a.greedy.divergences.every((d) => d.label === 'divergence')).toBe(true);
  });

  it('(c) a layer-norm epsilon of 1e-1 instead of 1e-5: flagged at step 0', () => {
    const a = agreement(record, epsId);
    expect(failedGates(a)).toEqual(['max-mean-kld', 'min-same-top-p', 'max-abs-logit-diff']);
    expect(a.firstFlagged).toMatchObject({ step: 0, prompt: 0 });
    expect(a.greedy.identical).toBeLessThan(prompts.length);
  });

  it('(d) a KV cache that drops its oldest entry beyond N: flagged where a sequence first exceeds N', () => {
    const a = agreement(record, kvId);
    expect(a.passed).toBe(false);
    expect(failedGates(a)).toContain('max-mean-kld');
    // The token at position N is the first to miss an entry: step N − (P − 1) of a prompt of length P.
    const affected = prompts
      .map((p, i) => ({ prompt: i, step: KV_CACHE_ENTRIES - (p.ids.length - 1) }))
      .filter((x) => x.step < MAX_NEW_TOKENS)
      .sort((x, y) => x.step - y.step || x.prompt - y.prompt);
    const expected = affected[0]!;
    expect(expected).toEqual({ prompt: 3, step: 4 }); // the 27-token code prompt
    expect(a.firstFlagged).toMatchObject({ ...expected, position: KV_CACHE_ENTRIES });
    // It stands out over float32 noise too, not only over this float64 backend's own default limits.
    expect(a.firstFlagged!.kld).toBeGreaterThan(1e-9);
    expect(a.firstFlagged!.maxAbsLogitDiff).toBeGreaterThan(1e-4);
    // Prompts too short to reach N entries are untouched.
    const untouched = a.positions.filter((p) => p.position < KV_CACHE_ENTRIES);
    expect(Math.max(...untouched.map((p) => p.maxAbsLogitDiff))).toBe(0);
  });
});
