import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, referenceIdFor } from '../../harness/app/registry.ts';
import { BackendUnavailable, ModelDirError, UsageError } from '../../harness/core/errors.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { dtypeOfFileName } from '../../harness/core/model/onnx-variants.ts';
import { greedy } from '../../harness/engine/decode/greedy.ts';
import { modelIdentity } from '../../harness/engine/model/model-identity.ts';
import { listGraphVariants, selectGraph } from '../../harness/engine/model/select-graph.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'select-graph-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A dir holding empty files at `files` (selectGraph only looks at names and file kinds). */
function dirWith(name: string, files: readonly string[]): string {
  const dir = join(scratch, name);
  for (const file of files) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), '');
  }
  return dir;
}

function select(dir: string, config: unknown, choice: { dtype?: string; onnx?: string }) {
  return selectGraph(dir, listGraphVariants(dir), config, choice);
}

describe('graph variants by transformers.js file names', () => {
  it('reads a dtype from each suffix and none from other names', () => {
    expect(dtypeOfFileName('onnx/model.onnx')).toBe('fp32');
    expect(dtypeOfFileName('onnx/model_quantized.onnx')).toBe('q8');
    expect(dtypeOfFileName('onnx/model_q4f16.onnx')).toBe('q4f16');
    expect(dtypeOfFileName('decoder_model_merged_fp16.onnx')).toBe('fp16');
    expect(dtypeOfFileName('onnx/model_custom.onnx')).toBeNull();
  });

  it('lists one file per dtype, onnx/ before the root and model before decoder_model_merged', () => {
    const dir = dirWith('listing', [
      'onnx/model.onnx',
      'model.onnx',
      'onnx/decoder_model_merged_q4.onnx',
      'onnx/model_q4.onnx',
      'decoder_model_merged_fp16.onnx',
    ]);
    expect(listGraphVariants(dir)).toEqual([
      { file: 'onnx/model.onnx', dtype: 'fp32' },
      { file: 'decoder_model_merged_fp16.onnx', dtype: 'fp16' },
      { file: 'onnx/model_q4.onnx', dtype: 'q4' },
    ]);
  });
});

describe('selectGraph', () => {
  it('defaults to fp32, then config.json transformers.js_config.dtype, then --dtype', () => {
    const dir = dirWith('choice', ['onnx/model.onnx', 'onnx/model_q4.onnx', 'onnx/model_quantized.onnx']);
    expect(select(dir, undefined, {})).toEqual({ file: 'onnx/model.onnx', dtype: 'fp32' });
    expect(select(dir, { dtype: 'q4' }, {})).toEqual({ file: 'onnx/model_q4.onnx', dtype: 'q4' });
    expect(select(dir, { dtype: { model: 'q8' } }, {}).file).toBe('onnx/model_quantized.onnx');
    expect(select(dir, { dtype: 'q4' }, { dtype: 'q8' }).dtype).toBe('q8');
  });

  it('names the variants present when the asked dtype is missing', () => {
    const dir = dirWith('missing', ['onnx/model.onnx', 'onnx/model_q4.onnx']);
    const ask = () => select(dir, undefined, { dtype: 'fp16' });
    expect(ask).toThrow(UsageError);
    expect(ask).toThrow(
      /--dtype fp16: .* has no onnx\/model_fp16\.onnx; variants present: fp32 \(onnx\/model\.onnx\), q4 \(onnx\/model_q4\.onnx\)/,
    );
    expect(() => select(dir, undefined, { dtype: 'int4' })).toThrow(
      /"int4" is not a graph dtype; pass one of fp32/,
    );
    expect(() => select(dir, { dtype: 'q4f16' }, {})).toThrow(
      /transformers\.js_config\.dtype q4f16: .* no onnx\/model_q4f16\.onnx/,
    );
  });

  it('refuses a config dtype that is not one, or a per-file map naming a file that is not there', () => {
    const dir = dirWith('config', ['onnx/model.onnx']);
    expect(() => select(dir, { dtype: 'int3' }, {})).toThrow(ModelDirError);
    expect(() => select(dir, { dtype: ['q4'] }, {})).toThrow(/expected a dtype or a map/);
    expect(() => select(dir, { dtype: { model: 'fp32', embed_tokens: 'q4' } }, {})).toThrow(
      /transformers\.js_config\.dtype\.embed_tokens is q4 but .*onnx\/embed_tokens_q4\.onnx does not exist/,
    );
  });

  it('takes --onnx FILE inside the dir, relative to it or to the working directory, and refuses one outside', () => {
    const dir = dirWith('explicit', ['onnx/model.onnx', 'onnx/model_custom.onnx']);
    writeFileSync(join(scratch, 'outside.onnx'), '');
    expect(select(dir, undefined, { onnx: 'onnx/model_custom.onnx' })).toEqual({
      file: 'onnx/model_custom.onnx',
      dtype: null,
    });
    expect(select(dir, undefined, { onnx: join(dir, 'onnx/model.onnx') }).dtype).toBe('fp32');
    expect(() => select(dir, undefined, { onnx: join(scratch, 'outside.onnx') })).toThrow(
      /is outside the model dir/,
    );
    expect(() => select(dir, undefined, { onnx: 'onnx/nope.onnx' })).toThrow(/no such file/);
    expect(() => select(dir, undefined, { onnx: 'onnx/model.onnx', dtype: 'q4' })).toThrow(
      /--onnx and --dtype both choose the graph; pass one of them/,
    );
  });

  it('says how to export a graph when a dir holds none', () => {
    const dir = dirWith('none', ['config.json']);
    expect(() => select(dir, undefined, {})).toThrow(/holds no decoder graph .*optimum-cli export onnx/);
  });
});

describe('an ONNX-only model dir (no model.safetensors)', () => {
  let onnxOnly: string;
  beforeAll(async () => {
    const model = await loadModelDir('tiny-gpt2');
    onnxOnly = join(scratch, 'tiny-gpt2-onnx-only');
    cpSync(model.path, onnxOnly, { recursive: true, filter: (src) => !src.endsWith('model.safetensors') });
  });

  it('loads, runs on ORT CPU with onnx:f64 as the reference, and the TS kernels say why they cannot run', async () => {
    const model = await loadModelDir(onnxOnly, { dtype: 'q4' });
    expect(model.safetensorsPath).toBeNull();
    expect(model.graph).toEqual({ file: 'onnx/model_q4.onnx', dtype: 'q4' });
    expect(referenceIdFor(model)).toBe('onnx:f64');
    await expect(createBackend('ts:f64', model)).rejects.toThrow(BackendUnavailable);
    await expect(createBackend('ts:f64', model)).rejects.toThrow(/has no model\.safetensors/);

    // The same q4 graph as in the full dir, so the same continuation.
    const tokensOn = async (dir: ModelDir) => {
      const source = await createBackend('ort-node:cpu', dir);
      try {
        const out = await greedy(source, [15496, 995], { maxNewTokens: 6, eosTokenIds: [], recordTopK: 1 });
        return out.sequences[0]?.tokenIds;
      } finally {
        await source.dispose();
      }
    };
    const tokens = await tokensOn(model);
    expect(tokens).toHaveLength(6);
    expect(tokens).toEqual(await tokensOn(await loadModelDir('tiny-gpt2', { dtype: 'q4' })));
  });

  it('is identified by config.json and the graph only, so goldens of the full dir are refused', async () => {
    const full = await modelIdentity(await loadModelDir('tiny-gpt2'));
    const onnxOnlyIdentity = await modelIdentity(await loadModelDir(onnxOnly));
    expect(Object.keys(full.files)).toEqual(['config.json', 'model.safetensors', 'onnx/model.onnx']);
    expect(Object.keys(onnxOnlyIdentity.files)).toEqual(['config.json', 'onnx/model.onnx']);
    expect(onnxOnlyIdentity.graph.sha256).toBe(full.graph.sha256);
    expect(onnxOnlyIdentity.sha256).not.toBe(full.sha256);
  });
});

describe('a quantized variant of a full dir', () => {
  it('names its graph in the identity, and the reference is onnx:f64 (model.safetensors holds other weights)', async () => {
    const model = await loadModelDir('tiny-gpt2', { dtype: 'q4' });
    const identity = await modelIdentity(model);
    expect(Object.keys(identity.files)).toEqual(['config.json', 'onnx/model_q4.onnx']);
    expect(identity.graph).toMatchObject({ file: 'onnx/model_q4.onnx', dtype: 'q4', bytes: 15_073_683 });
    expect(referenceIdFor(model)).toBe('onnx:f64');
    expect(referenceIdFor(await loadModelDir('tiny-gpt2'))).toBe('ts:f64');
  });
});
