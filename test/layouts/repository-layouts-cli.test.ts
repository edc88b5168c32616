import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { valueInfo } from '../../harness/core/onnx/onnx-graph.ts';
import { embeddedModelDir } from '../../harness/engine/model-gen/embedded-models.ts';
import { DataType, editModel } from '../../harness/engine/model-gen/layouts/graph-edit.ts';
import { runCli } from '../helpers/run-cli.ts';

const { onnx } = onnxProto;
const scratch = mkdtempSync(join(tmpdir(), 'repository-layouts-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const promptsFile = join(scratch, 'prompts.txt');
writeFileSync(promptsFile, 'The quick brown fox\nHello, world\n');

let copies = 0;
function copyOf(name: string): string {
  const dir = join(scratch, `${name}-${copies++}`);
  cpSync(embeddedModelDir(name), dir, { recursive: true });
  return dir;
}

/** Exit 2 and one line on stderr matching `message`. */
function refused(args: readonly string[], message: RegExp): void {
  const run = runCli(args);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(message);
}

describe('ONNX-only repositories on the command line', () => {
  it('compare --dtypes runs every variant against onnx:f64 on the fp32 graph and says why that reference', () => {
    const run = runCli([
      'compare',
      '--model',
      'tiny-gpt2-onnx',
      '--dtypes',
      'fp32,q4',
      '--backends',
      'ort-node:cpu,ort-web:wasm',
      '--prompts',
      promptsFile,
      '--max-new-tokens',
      '4',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const record = JSON.parse(run.stdout);
    expect(record.reference.id).toBe('onnx:f64');
    expect(record.referenceChoice).toBe(
      'onnx:f64, the graph itself in float64: the model dir has no model.safetensors, so ts:f64 cannot compute it',
    );
    expect(record.model.graph.externalData).toEqual(['onnx/model.onnx_data', 'onnx/model.onnx_data_1']);
    const ids = record.backends.map((a: { backend: { id: string } }) => a.backend.id);
    expect(ids).toEqual(['ort-node:cpu fp32', 'ort-web:wasm fp32', 'ort-node:cpu q4', 'ort-web:wasm q4']);
  });

  it('the main job runs a merged decoder with no safetensors and names its reference and why', () => {
    const out = join(scratch, 'main-job');
    const run = runCli([
      '--model',
      'tiny-llama-optimum',
      '--backends',
      'ort-node:cpu,ort-web:wasm',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
    expect(record.model.graph.file).toBe('decoder_model_merged.onnx');
    expect(record.referenceId).toBe('onnx:f64');
    expect(record.referenceChoice).toMatch(/no model\.safetensors/);
    expect(record.passed).toBe(true);
  });

  it("runs Optimum's default output, model.onnx at the directory root", () => {
    const dir = copyOf('tiny-gpt2');
    cpSync(join(dir, 'onnx', 'model.onnx'), join(dir, 'model.onnx'));
    rmSync(join(dir, 'onnx'), { recursive: true });
    rmSync(join(dir, 'model.safetensors'));
    const run = runCli([
      'generate',
      '--model',
      dir,
      '--backend',
      'ort-node:cpu',
      '--prompt',
      'Hello',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const expected = runCli([
      'generate',
      '--model',
      'tiny-gpt2',
      '--backend',
      'ort-node:cpu',
      '--prompt',
      'Hello',
      '--json',
    ]);
    const tokens = (stdout: string) => JSON.parse(stdout).sequences[0].tokenIds;
    expect(tokens(run.stdout)).toEqual(tokens(expected.stdout));
  });

  it('refuses a missing or truncated external-data chunk, in one line naming the file', () => {
    const missing = copyOf('tiny-gpt2-onnx');
    unlinkSync(join(missing, 'onnx', 'model.onnx_data'));
    refused(
      ['generate', '--model', missing, '--prompt', 'Hi'],
      /model\.onnx_data is missing: .* reads 12,865,792 bytes/,
    );
    const truncated = copyOf('tiny-gpt2-onnx');
    truncateSync(join(truncated, 'onnx', 'model.onnx_data_1'), 10);
    refused(
      ['generate', '--model', truncated, '--prompt', 'Hi'],
      /model\.onnx_data_1 holds 10 bytes but .* \(truncated\)/,
    );
  });

  it('refuses a chunk count in config.json that the files do not match', () => {
    const dir = copyOf('tiny-gpt2-onnx');
    const path = join(dir, 'config.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    config['transformers.js_config'].use_external_data_format = 1;
    writeFileSync(path, JSON.stringify(config));
    refused(
      ['generate', '--model', dir, '--prompt', 'Hi'],
      /reads model\.onnx_data_1, which config\.json .* does not declare/,
    );
  });

  it('refuses a graph input no decoder can feed, naming it with its type and shape', () => {
    const dir = copyOf('tiny-gpt2');
    const graphPath = join(dir, 'onnx', 'model.onnx');
    writeFileSync(
      graphPath,
      editModel(readFileSync(graphPath), (model) => {
        model.graph!.input!.push(
          valueInfo('token_type_ids', DataType.INT64, ['batch_size', 'sequence_length']),
        );
      }),
    );
    expect(onnx.ModelProto.decode(readFileSync(graphPath)).graph!.input!.at(-1)!.name).toBe('token_type_ids');
    refused(
      ['generate', '--model', dir, '--backend', 'ort-node:cpu', '--prompt', 'Hi'],
      /graph input "token_type_ids" \(int64 \[batch_size, sequence_length\]\) is not one the decoder can feed/,
    );
  });
});
