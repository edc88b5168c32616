import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGpt2Config } from '../../harness/model/gpt2-config.ts';
import { checkWeightsMatchConfig } from '../../harness/model/load-model-dir.ts';
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
} from '../../harness/model-gen/embedded-models.ts';
import { generateGpt2Weights } from '../../harness/model-gen/gpt2-weights.ts';
import { writeModelDirAtomically } from '../../harness/model-gen/write-model-dir.ts';

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

function hashesOf(dir: string): Record<string, string> {
  return Object.fromEntries(MODEL_FILES.map((f) => [f, sha256Hex(readFileSync(join(dir, f)))]));
}

describe('embedded tiny-gpt2', () => {
  it('is registered', () => {
    expect(EMBEDDED_MODEL_NAMES).toContain('tiny-gpt2');
  });

  it('builds on first use and matches the committed manifest', async () => {
    const dir = await ensureEmbeddedModel('tiny-gpt2');
    expect(dir).toBe(embeddedModelDir('tiny-gpt2'));
    const manifest = await readManifest('tiny-gpt2');
    expect(Object.keys(manifest.files).sort()).toEqual([...MODEL_FILES].sort());
    await expect(verifyEmbeddedModel('tiny-gpt2')).resolves.toBeUndefined();
  });

  it('regenerates bit-identically, in memory and on disk', async () => {
    const first = buildEmbeddedModelFiles('tiny-gpt2');
    const second = buildEmbeddedModelFiles('tiny-gpt2');
    expect(manifestFromFiles('tiny-gpt2', second)).toEqual(manifestFromFiles('tiny-gpt2', first));
    // ...and equals what the committed manifest says, so it is the same on every machine that passes.
    expect(manifestFromFiles('tiny-gpt2', first).files).toEqual((await readManifest('tiny-gpt2')).files);

    const [a, b] = [join(root, 'a', 'tiny-gpt2'), join(root, 'b', 'tiny-gpt2')];
    expect(await writeModelDirAtomically(a, first)).toBe('written');
    expect(await writeModelDirAtomically(b, buildEmbeddedModelFiles('tiny-gpt2'))).toBe('written');
    expect(hashesOf(a)).toEqual(hashesOf(b));
  });

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
