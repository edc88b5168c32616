import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGemma2Config } from '../../harness/core/model/families/gemma2.ts';
import { parseGpt2Config } from '../../harness/core/model/families/gpt2.ts';
import { parseLlamaConfig } from '../../harness/core/model/families/llama.ts';
import { checkWeightsMatchConfig } from '../../harness/core/model/parameter-layout.ts';
import {
  buildEmbeddedModelFiles,
  EMBEDDED_MODEL_NAMES,
  embeddedModelDir,
  ensureEmbeddedModel,
  manifestFromFiles,
  manifestPath,
  readManifest,
  sha256Hex,
  verifyEmbeddedModel,
} from '../../harness/engine/model-gen/embedded-models.ts';
import { generateGpt2Weights } from '../../harness/engine/model-gen/generate-gpt2-weights.ts';
import { generateLlamaWeights } from '../../harness/engine/model-gen/generate-llama-weights.ts';
import { llamaModelDirFiles } from '../../harness/engine/model-gen/llama-model-dir.ts';
import { writeModelDirAtomically } from '../../harness/engine/model-gen/write-model-dir.ts';

const root = mkdtempSync(join(tmpdir(), 'embedded-model-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MODEL_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'model.safetensors',
  'onnx/model.onnx',
];
/** The quantized variants every embedded model ships beside its plain graph. */
const VARIANT_FILES = ['onnx/model_quantized.onnx', 'onnx/model_q4.onnx', 'onnx/model_q4f16.onnx'];

function hashesOf(dir: string): Record<string, string> {
  return Object.fromEntries(MODEL_FILES.map((f) => [f, sha256Hex(readFileSync(join(dir, f)))]));
}

describe.each(['tiny-gpt2', 'tiny-llama'])('embedded %s', (name) => {
  it('is registered', () => {
    expect(EMBEDDED_MODEL_NAMES).toContain(name);
  });

  it('builds on first use and matches the committed manifest', async () => {
    const dir = await ensureEmbeddedModel(name);
    expect(dir).toBe(embeddedModelDir(name));
    const manifest = await readManifest(name);
    expect(Object.keys(manifest.files).sort()).toEqual([...MODEL_FILES, ...VARIANT_FILES].sort());
    await expect(verifyEmbeddedModel(name)).resolves.toBeUndefined();
  });

  it('regenerates bit-identically, in memory and on disk', async () => {
    const first = buildEmbeddedModelFiles(name);
    const second = buildEmbeddedModelFiles(name);
    expect(manifestFromFiles(name, second)).toEqual(manifestFromFiles(name, first));
    // ...and equals what the committed manifest says, so it is the same on every machine that passes.
    expect(manifestFromFiles(name, first).files).toEqual((await readManifest(name)).files);

    const [a, b] = [join(root, 'a', name), join(root, 'b', name)];
    expect(await writeModelDirAtomically(a, first)).toBe('written');
    expect(await writeModelDirAtomically(b, buildEmbeddedModelFiles(name))).toBe('written');
    expect(hashesOf(a)).toEqual(hashesOf(b));
  });
});

const TEXT_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];
/** What each repository layout ships: no model.safetensors; the graphs where that layout puts them. */
const LAYOUT_FILES: Readonly<Record<string, readonly string[]>> = {
  'onnx-community': [
    'onnx/model.onnx',
    'onnx/model.onnx_data',
    'onnx/model.onnx_data_1',
    'onnx/model_fp16.onnx',
    'onnx/model_quantized.onnx',
    'onnx/model_q4.onnx',
    'onnx/model_q4f16.onnx',
  ],
  optimum: ['decoder_model_merged.onnx'],
  'onnxruntime-genai': ['model.onnx', 'model_q4.onnx'],
};

describe.each([
  ['tiny-gpt2-onnx', 'onnx-community'],
  ['tiny-llama-onnx', 'onnx-community'],
  ['tiny-gpt2-optimum', 'optimum'],
  ['tiny-llama-optimum', 'optimum'],
  ['tiny-llama-genai', 'onnxruntime-genai'],
])('embedded %s (%s layout)', (name, layout) => {
  it("ships the layout's files, regenerates bit-identically and matches its manifest", async () => {
    const files = buildEmbeddedModelFiles(name);
    expect([...files.keys()].sort()).toEqual([...TEXT_FILES, ...LAYOUT_FILES[layout]!].sort());
    expect(manifestFromFiles(name, files).files).toEqual((await readManifest(name)).files);
    await expect(verifyEmbeddedModel(name)).resolves.toBeUndefined();
  });

  it('declares its external data in config.json as transformers.js reads it, where it has any', () => {
    const config = JSON.parse(new TextDecoder().decode(buildEmbeddedModelFiles(name).get('config.json')));
    expect(config['transformers.js_config']).toEqual(
      layout === 'onnx-community'
        ? { dtype: 'fp32', use_external_data_format: { 'model.onnx': 2 } }
        : { dtype: 'fp32' },
    );
  });
});

describe('embedded tiny-gemma2', () => {
  it('regenerates bit-identically, matches its manifest, and parses as the Gemma-2 it was written from', async () => {
    const files = buildEmbeddedModelFiles('tiny-gemma2');
    expect([...files.keys()].sort()).toEqual([...MODEL_FILES].sort());
    expect(manifestFromFiles('tiny-gemma2', files).files).toEqual((await readManifest('tiny-gemma2')).files);
    const text = (file: string) => JSON.parse(new TextDecoder().decode(files.get(file)));
    const config = parseGemma2Config(text('config.json'), 'config.json');
    expect(config).toMatchObject({ hidden_size: 48, sliding_window: 8, query_pre_attn_scalar: 12 });
    expect(config.layer_types).toEqual(['sliding_attention', 'full_attention']);
    // Instruction-tuned Gemma stops at <end_of_turn> as at its eos.
    expect(text('generation_config.json').eos_token_id).toEqual([50256, 50258]);
  });

  it("carries Gemma's turn markers as single special tokens and its chat template", async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(await ensureEmbeddedModel('tiny-gemma2'), {
      local_files_only: true,
    });
    const chat = [
      { role: 'user', content: 'Hi ' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Bye' },
    ];
    const document = tokenizer.apply_chat_template(chat, { tokenize: false, add_generation_prompt: true });
    expect(document).toBe(
      '<|endoftext|><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n' +
        '<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(tokenizer.encode('<start_of_turn>user\n<end_of_turn>', { add_special_tokens: false })).toEqual([
      50257, 7220, 198, 50258,
    ]);
    expect(() =>
      tokenizer.apply_chat_template([{ role: 'system', content: 'x' }], { tokenize: false }),
    ).toThrow(/System role not supported/);
  });
});

describe('embedded tiny-gpt2', () => {
  it('detects a corrupted copy and says how to rebuild or update the manifest', async () => {
    const dir = join(root, 'corrupted');
    cpSync(embeddedModelDir('tiny-gpt2'), dir, { recursive: true });
    const onnx = join(dir, 'onnx', 'model.onnx');
    const bytes = readFileSync(onnx);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(onnx, bytes);
    const verify = verifyEmbeddedModel('tiny-gpt2', dir);
    await expect(verify).rejects.toThrow(
      /onnx\/model.onnx has sha256 [0-9a-f]{64} but .*tiny-gpt2.manifest.json says/,
    );
    await expect(verify).rejects.toThrow(/delete it \(rm -rf .*corrupted\)/);
    await expect(verify).rejects.toThrow(/npm run make-models -- --update-manifest tiny-gpt2/);
  });

  it('detects a missing file in a copy', async () => {
    const dir = join(root, 'incomplete');
    cpSync(embeddedModelDir('tiny-gpt2'), dir, { recursive: true });
    rmSync(join(dir, 'tokenizer.json'));
    await expect(verifyEmbeddedModel('tiny-gpt2', dir)).rejects.toThrow(
      /tokenizer.json is missing from embedded model/,
    );
  });

  it('rejects an unknown name', async () => {
    await expect(ensureEmbeddedModel('huge-gpt2')).rejects.toThrow(
      /"huge-gpt2" is not an embedded model; embedded: tiny-gpt2/,
    );
  });

  it('has its manifest next to the built directory', () => {
    expect(manifestPath('tiny-gpt2')).toBe(`${embeddedModelDir('tiny-gpt2')}.manifest.json`);
  });
});

describe('writeModelDirAtomically', () => {
  it('lets one of two concurrent writers win and leaves no temp dirs', async () => {
    const parent = join(root, 'race');
    const target = join(parent, 'tiny-gpt2');
    const files = buildEmbeddedModelFiles('tiny-gpt2');
    const results = await Promise.all([
      writeModelDirAtomically(target, files),
      writeModelDirAtomically(target, files),
    ]);
    expect(results.sort()).toEqual(['exists', 'written']);
    expect(readdirSync(parent)).toEqual(['tiny-gpt2']);
    await expect(verifyEmbeddedModel('tiny-gpt2', target)).resolves.toBeUndefined();
  });

  it('does not replace an existing directory', async () => {
    const target = join(root, 'existing');
    const files = new Map([['config.json', new TextEncoder().encode('{}')]]);
    expect(await writeModelDirAtomically(target, files)).toBe('written');
    const other = new Map([['config.json', new TextEncoder().encode('{"x":1}')]]);
    expect(await writeModelDirAtomically(target, other)).toBe('exists');
    expect(readFileSync(join(target, 'config.json'), 'utf8')).toBe('{}');
    expect(readdirSync(root).filter((name) => name.startsWith('existing.tmp-'))).toEqual([]);
  });
});

describe('generateGpt2Weights', () => {
  const config = parseGpt2Config(
    { model_type: 'gpt2', vocab_size: 50, n_positions: 8, n_embd: 16, n_layer: 2, n_head: 2 },
    'config.json',
  );

  it('produces every GPT-2 parameter in HF layout, with the LM head tied (no lm_head tensor)', () => {
    const weights = generateGpt2Weights(config, 1);
    expect(() => checkWeightsMatchConfig(config, weights, 'generated')).not.toThrow();
    expect(weights.has('lm_head.weight')).toBe(false);
    expect(weights.get('h.1.attn.c_attn.weight')?.shape).toEqual([16, 48]);
  });

  it('draws each tensor from its own stream, independent of the other tensors', () => {
    const deeper = generateGpt2Weights({ ...config, n_layer: 3 }, 1);
    const shallow = generateGpt2Weights(config, 1);
    expect(deeper.get('h.1.mlp.c_fc.weight')?.data).toEqual(shallow.get('h.1.mlp.c_fc.weight')?.data);
    expect(deeper.get('ln_f.weight')?.data).toEqual(shallow.get('ln_f.weight')?.data);
    expect(generateGpt2Weights(config, 2).get('wte.weight')?.data).not.toEqual(
      shallow.get('wte.weight')?.data,
    );
  });
});

describe('generateLlamaWeights', () => {
  const config = parseLlamaConfig(
    {
      model_type: 'llama',
      vocab_size: 50,
      hidden_size: 16,
      intermediate_size: 24,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 8,
    },
    'config.json',
  );

  it('produces every LlamaForCausalLM parameter in HF layout ([out, in]), with an untied LM head', () => {
    const weights = generateLlamaWeights(config, 1);
    expect(() => checkWeightsMatchConfig(config, weights, 'generated')).not.toThrow();
    expect(weights.get('lm_head.weight')?.shape).toEqual([50, 16]);
    expect(weights.get('model.layers.1.self_attn.k_proj.weight')?.shape).toEqual([8, 16]);
    expect(weights.get('model.layers.0.mlp.down_proj.weight')?.shape).toEqual([16, 24]);
    expect(weights.has('model.layers.0.self_attn.q_proj.bias')).toBe(false);
    // RMSNorm weights are 1 + jitter (at most 6 standard deviations of 0.125 away).
    expect(Array.from(weights.get('model.norm.weight')!.data).every((w) => Math.abs(w - 1) <= 0.75)).toBe(
      true,
    );
  });

  it('draws each tensor from its own stream, and adds q/k/v/o biases only when configured', () => {
    const deeper = generateLlamaWeights({ ...config, num_hidden_layers: 3 }, 1);
    const shallow = generateLlamaWeights(config, 1);
    const name = 'model.layers.1.mlp.up_proj.weight';
    expect(deeper.get(name)?.data).toEqual(shallow.get(name)?.data);
    const biased = generateLlamaWeights({ ...config, attention_bias: true, o_proj_bias: true }, 1);
    expect(biased.get('model.layers.0.self_attn.o_proj.bias')?.shape).toEqual([16]);
    expect(biased.get(name)?.data).toEqual(shallow.get(name)?.data);
  });

  it('writes model dirs for model_type llama only', () => {
    const weights = generateLlamaWeights(config, 1);
    expect(() => llamaModelDirFiles({ ...config, model_type: 'qwen2' }, weights)).toThrow(
      /writes LlamaForCausalLM dirs: model_type "llama" .*; got model_type "qwen2"/,
    );
  });
});
