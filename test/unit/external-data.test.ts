import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelDirError } from '../../harness/core/errors.ts';
import { externalDataFiles } from '../../harness/core/onnx/external-data.ts';
import { declaredChunks } from '../../harness/engine/model/declared-external-data.ts';
import { modelIdentity } from '../../harness/engine/model/model-identity.ts';
import { embeddedModelDir } from '../../harness/engine/model-gen/embedded-models.ts';
import { toExternalData } from '../../harness/engine/model-gen/layouts/external-data.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

const { onnx } = onnxProto;
const root = mkdtempSync(join(tmpdir(), 'external-data-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A fresh copy of tiny-gpt2-onnx (onnx/model.onnx + model.onnx_data + model.onnx_data_1) to break. */
function copyOfOnnxRepository(): string {
  const dir = join(root, `model-${copies++}`);
  cpSync(embeddedModelDir('tiny-gpt2-onnx'), dir, { recursive: true });
  return dir;
}

async function loadError(dir: string): Promise<string> {
  const error = await loadModelDir(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelDirError);
  return (error as Error).message;
}

describe('toExternalData', () => {
  it('moves every tensor ≥ 1 KiB, in graph order and unsplit, and keeps the graph equal byte for byte once read back', () => {
    const graph = readFileSync(join(embeddedModelDir('tiny-gpt2'), 'onnx', 'model.onnx'));
    const files = toExternalData(graph, 'model.onnx', 2);
    expect([...files.keys()]).toEqual(['model.onnx', 'model.onnx_data', 'model.onnx_data_1']);
    const split = onnx.ModelProto.decode(files.get('model.onnx')!);
    const original = onnx.ModelProto.decode(graph);
    const chunks = new Map([...files].slice(1));
    let moved = 0;
    original.graph!.initializer!.forEach((tensor, i) => {
      const external = split.graph!.initializer![i]!;
      if (tensor.rawData!.byteLength < 1024) {
        expect(external.dataLocation).not.toBe(onnx.TensorProto.DataLocation.EXTERNAL);
        return;
      }
      moved++;
      const entry = Object.fromEntries(external.externalData!.map((e) => [e.key, e.value]));
      const bytes = chunks.get(entry.location!)!;
      const start = Number(entry.offset);
      // Buffer.equals, not toEqual: vitest's deep equality walks megabytes byte by byte (~70 s here).
      const read = Buffer.from(bytes.subarray(start, start + Number(entry.length)));
      expect(
        read.equals(Buffer.from(tensor.rawData!)),
        `${tensor.name} read back from ${entry.location}`,
      ).toBe(true);
    });
    expect(moved).toBeGreaterThan(10);
    expect(files.get('model.onnx_data_1')!.byteLength).toBeGreaterThan(0);
  });
});

describe('external data in a model dir', () => {
  it('finds the files the graph reads, each with the bytes it reads from it', () => {
    const dir = embeddedModelDir('tiny-gpt2-onnx');
    const files = externalDataFiles(join(dir, 'onnx', 'model.onnx'));
    expect(files.map((f) => f.location)).toEqual(['model.onnx_data', 'model.onnx_data_1']);
    for (const file of files) {
      expect(file.path).toBe(join(dir, 'onnx', file.location));
      expect(file.bytesRead).toBe(readFileSync(file.path).byteLength);
    }
    expect(externalDataFiles(join(dir, 'onnx', 'model_q4.onnx'))).toEqual([]);
  });

  it('counts the external data in the graph identity: size, files and sha', async () => {
    const model = await loadModelDir('tiny-gpt2-onnx');
    const identity = await modelIdentity(model);
    expect(identity.graph.externalData).toEqual(['onnx/model.onnx_data', 'onnx/model.onnx_data_1']);
    const sizes = ['model.onnx', 'model.onnx_data', 'model.onnx_data_1'].map(
      (f) => readFileSync(join(model.path, 'onnx', f)).byteLength,
    );
    expect(identity.graph.bytes).toBe(sizes.reduce((a, b) => a + b));
    expect(Object.keys(identity.files)).toEqual([
      'config.json',
      'onnx/model.onnx',
      'onnx/model.onnx_data',
      'onnx/model.onnx_data_1',
    ]);
    expect(identity.graph.sha256).not.toBe(identity.files['onnx/model.onnx']);
  });

  it('refuses a missing or truncated chunk, naming the file and both byte counts', async () => {
    const missing = copyOfOnnxRepository();
    unlinkSync(join(missing, 'onnx', 'model.onnx_data_1'));
    expect(await loadError(missing)).toMatch(
      /onnx\/model\.onnx_data_1 is missing: .*model\.onnx reads 460,800 bytes of weights from it; re-download the model/,
    );
    const truncated = copyOfOnnxRepository();
    truncateSync(join(truncated, 'onnx', 'model.onnx_data'), 1000);
    expect(await loadError(truncated)).toMatch(
      /model\.onnx_data holds 1,000 bytes but .*model\.onnx reads 12,865,792 from it \(truncated\)/,
    );
  });

  it("holds the graph to config.json's use_external_data_format, as transformers.js resolves it", async () => {
    const config = (dir: string, format: unknown) => {
      const path = join(dir, 'config.json');
      const json = JSON.parse(readFileSync(path, 'utf8'));
      json['transformers.js_config'].use_external_data_format = format;
      writeFileSync(path, JSON.stringify(json));
    };
    const tooMany = copyOfOnnxRepository();
    config(tooMany, { 'model.onnx': 3 });
    expect(await loadError(tooMany)).toMatch(
      /onnx\/model\.onnx_data_2 is missing: config\.json transformers\.js_config\.use_external_data_format declares 3 chunk\(s\) for model\.onnx/,
    );
    const tooFew = copyOfOnnxRepository();
    config(tooFew, true);
    expect(await loadError(tooFew)).toMatch(
      /model\.onnx reads model\.onnx_data_1, which config\.json .* does not declare \(it declares model\.onnx_data\)/,
    );
    const byBaseName = copyOfOnnxRepository();
    config(byBaseName, { model: 2 });
    expect((await loadModelDir(byBaseName)).externalData).toHaveLength(2);
    const bad = copyOfOnnxRepository();
    config(bad, 'yes');
    expect(await loadError(bad)).toMatch(
      /use_external_data_format is "yes": for model\.onnx expected true, false or a chunk count/,
    );
  });

  it('resolves the chunk names of a map by full file name first, then base name', () => {
    expect(
      declaredChunks('/m/onnx/model_q4.onnx', 'model', {
        use_external_data_format: { 'model_q4.onnx': 1, model: 3 },
      }),
    ).toEqual(['model_q4.onnx_data']);
    expect(
      declaredChunks('/m/onnx/model_q4.onnx', 'model', { use_external_data_format: { model: 2 } }),
    ).toEqual(['model_q4.onnx_data', 'model_q4.onnx_data_1']);
    expect(
      declaredChunks('/m/onnx/model.onnx', 'model', { use_external_data_format: { decoder: 2 } }),
    ).toEqual([]);
    expect(declaredChunks('/m/onnx/model.onnx', 'model', undefined)).toEqual([]);
  });
});
