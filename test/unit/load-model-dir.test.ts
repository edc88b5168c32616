import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelDirError } from '../../harness/core/errors.ts';
import { parseGpt2Config } from '../../harness/core/model/families/gpt2.ts';
import { checkWeightsMatchConfig } from '../../harness/core/model/parameter-layout.ts';
import { embeddedModelDir } from '../../harness/engine/model-gen/embedded-models.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

const root = mkdtempSync(join(tmpdir(), 'load-model-dir-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A fresh copy of the embedded model (built by the global setup) to break. */
function copyOfTinyGpt2(): string {
  const dir = join(root, `model-${copies++}`);
  cpSync(embeddedModelDir('tiny-gpt2'), dir, { recursive: true });
  return dir;
}

function editConfig(dir: string, edit: (config: Record<string, unknown>) => void): void {
  const path = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8'));
  edit(config);
  writeFileSync(path, JSON.stringify(config));
}

async function loadError(pathOrName: string): Promise<ModelDirError> {
  const error = await loadModelDir(pathOrName).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelDirError);
  return error as ModelDirError;
}

describe('loadModelDir', () => {
  it('loads the embedded model by name', async () => {
    const model = await loadModelDir('tiny-gpt2');
    expect(model.name).toBe('tiny-gpt2');
    expect(model.path).toBe(embeddedModelDir('tiny-gpt2'));
    expect(model.config).toMatchObject({
      n_layer: 2,
      n_head: 4,
      n_embd: 64,
      n_positions: 256,
      vocab_size: 50257,
    });
    expect(model.generationConfig).toMatchObject({ eos_token_id: 50256, do_sample: false });
    expect(model.onnxPath).toBe(join(model.path, 'onnx', 'model.onnx'));
    expect(model.safetensorsPath).toBe(join(model.path, 'model.safetensors'));
  });

  it('loads a model directory by path, named after the directory', async () => {
    const dir = copyOfTinyGpt2();
    const model = await loadModelDir(dir);
    expect(model.path).toBe(dir);
    expect(model.name).toMatch(/^model-\d+$/);
  });

  it('lists the embedded names for a path that does not exist', async () => {
    const error = await loadError(join(root, 'no-such-model'));
    expect(error.message).toMatch(
      /no-such-model.*no such directory .* not an embedded model name; embedded: tiny-gpt2/,
    );
    expect((await loadError('tiny-gpt3')).message).toMatch(/"tiny-gpt3": no such directory/);
  });

  it('rejects a file given as the model', async () => {
    const dir = copyOfTinyGpt2();
    expect((await loadError(join(dir, 'config.json'))).message).toMatch(/is a file; pass the directory/);
  });

  it.each([
    ['config.json', /save_pretrained/],
    ['generation_config.json', /eos_token_id/],
    ['tokenizer.json', /tokenizer/],
    ['tokenizer_config.json', /tokenizer.save_pretrained/],
  ])('names a missing %s and how to get it', async (file, howTo) => {
    const dir = copyOfTinyGpt2();
    rmSync(join(dir, file));
    const { message } = await loadError(dir);
    expect(message).toContain(`is missing ${file}.`);
    expect(message).toMatch(howTo);
  });

  it('names a missing onnx/model.onnx, the variants present and the flag that picks one', async () => {
    const dir = copyOfTinyGpt2();
    rmSync(join(dir, 'onnx/model.onnx'));
    const { message } = await loadError(dir);
    expect(message).toContain(`has no onnx/model.onnx; variants present: q8 (onnx/model_quantized.onnx)`);
    expect(message).toContain('pass --dtype with one of them');
  });

  it('says how to export a graph when the dir holds none', async () => {
    const dir = copyOfTinyGpt2();
    rmSync(join(dir, 'onnx'), { recursive: true });
    const { message } = await loadError(dir);
    expect(message).toMatch(
      /holds no decoder graph .*optimum-cli export onnx --task text-generation-with-past/,
    );
  });

  it.each(['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'])(
    'names a malformed %s and the parse error',
    async (file) => {
      const dir = copyOfTinyGpt2();
      writeFileSync(join(dir, file), '{"model_type": "gpt2",');
      const { message } = await loadError(dir);
      expect(message).toContain(join(dir, file));
      expect(message).toMatch(/is not valid JSON \(.+\); fix or re-save the file/);
    },
  );

  it('rejects a generation_config.json that is not an object', async () => {
    const dir = copyOfTinyGpt2();
    writeFileSync(join(dir, 'generation_config.json'), '[50256]');
    expect((await loadError(dir)).message).toMatch(/generation_config.json: expected a JSON object/);
  });

  it('rejects an unsupported model_type, naming the supported ones', async () => {
    const dir = copyOfTinyGpt2();
    editConfig(dir, (c) => {
      c.model_type = 'bert';
    });
    expect((await loadError(dir)).message).toMatch(
      /config.json: model_type "bert" is not supported; supported: "gpt2", "llama", "qwen2", "mistral"/,
    );
  });

  it('loads the embedded Llama model by name, its config chosen by model_type', async () => {
    const model = await loadModelDir('tiny-llama');
    expect(model.config).toMatchObject({
      model_type: 'llama',
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 16,
      max_position_embeddings: 256,
      tie_word_embeddings: false,
    });
  });

  it('catches a Llama config whose kv heads do not match the weights', async () => {
    const dir = join(root, `model-${copies++}`);
    cpSync(embeddedModelDir('tiny-llama'), dir, { recursive: true });
    editConfig(dir, (c) => {
      c.num_key_value_heads = 4;
    });
    expect((await loadError(dir)).message).toMatch(
      /model.layers.0.self_attn.k_proj.weight has shape \[32, 64\] but config.json implies \[num_key_value_heads·head_dim, hidden_size\] = \[64, 64\]/,
    );
  });

  it('catches a config with more layers than the weights', async () => {
    const dir = copyOfTinyGpt2();
    editConfig(dir, (c) => {
      c.n_layer = 3;
    });
    expect((await loadError(dir)).message).toMatch(
      /config.json says n_layer 3 but .*model.safetensors has no h.2.ln_1.weight; config.json and the weights come from different models/,
    );
  });

  it('catches a config with fewer layers than the weights', async () => {
    const dir = copyOfTinyGpt2();
    editConfig(dir, (c) => {
      c.n_layer = 1;
    });
    expect((await loadError(dir)).message).toMatch(
      /config.json says n_layer 1 but .* also has h.1.ln_1.weight/,
    );
  });

  it('catches a config whose width does not match the weights', async () => {
    const dir = copyOfTinyGpt2();
    editConfig(dir, (c) => {
      c.n_embd = 32;
    });
    expect((await loadError(dir)).message).toMatch(
      /wte.weight has shape \[50257, 64\] but config.json implies \[vocab_size, n_embd\] = \[50257, 32\]/,
    );
  });

  it('reports a truncated model.safetensors', async () => {
    const dir = copyOfTinyGpt2();
    truncateSync(join(dir, 'model.safetensors'), 1000);
    expect((await loadError(dir)).message).toMatch(
      /model.safetensors: truncated or lying safetensors header/,
    );
  });
});

describe('checkWeightsMatchConfig', () => {
  const config = parseGpt2Config(
    { model_type: 'gpt2', vocab_size: 10, n_positions: 4, n_embd: 8, n_layer: 1, n_head: 2 },
    'config.json',
  );
  const shapes = new Map<string, { shape: number[] }>([
    ['wte.weight', { shape: [10, 8] }],
    ['wpe.weight', { shape: [4, 8] }],
    ...['ln_1', 'ln_2'].flatMap((ln) => [
      [`h.0.${ln}.weight`, { shape: [8] }],
      [`h.0.${ln}.bias`, { shape: [8] }],
    ]),
    ['h.0.attn.c_attn.weight', { shape: [8, 24] }],
    ['h.0.attn.c_attn.bias', { shape: [24] }],
    ['h.0.attn.c_proj.weight', { shape: [8, 8] }],
    ['h.0.attn.c_proj.bias', { shape: [8] }],
    ['h.0.mlp.c_fc.weight', { shape: [8, 32] }],
    ['h.0.mlp.c_fc.bias', { shape: [32] }],
    ['h.0.mlp.c_proj.weight', { shape: [32, 8] }],
    ['h.0.mlp.c_proj.bias', { shape: [8] }],
    ['ln_f.weight', { shape: [8] }],
    ['ln_f.bias', { shape: [8] }],
  ] as [string, { shape: number[] }][]);

  it('accepts a complete GPT-2 parameter set', () => {
    expect(() => checkWeightsMatchConfig(config, shapes, 'w.safetensors')).not.toThrow();
  });

  it('names a missing tensor', () => {
    const partial = new Map(shapes);
    partial.delete('h.0.mlp.c_proj.bias');
    expect(() => checkWeightsMatchConfig(config, partial, 'w.safetensors')).toThrow(
      /^w.safetensors has no h.0.mlp.c_proj.bias; config.json and the weights come from different models/,
    );
  });

  it('names a tensor of the wrong rank', () => {
    const wrong = new Map(shapes).set('ln_f.bias', { shape: [1, 8] });
    expect(() => checkWeightsMatchConfig(config, wrong, 'w.safetensors')).toThrow(
      /ln_f.bias has shape \[1, 8\] but config.json implies \[n_embd\] = \[8\]/,
    );
  });

  it('requires lm_head.weight when embeddings are not tied', () => {
    const untied = { ...config, tie_word_embeddings: false };
    expect(() => checkWeightsMatchConfig(untied, shapes, 'w.safetensors')).toThrow(/has no lm_head.weight/);
    const withHead = new Map(shapes).set('lm_head.weight', { shape: [10, 8] });
    expect(() => checkWeightsMatchConfig(untied, withHead, 'w.safetensors')).not.toThrow();
  });
});
