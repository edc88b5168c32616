import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ModelDirError } from '../../harness/core/errors.ts';
import { headDim, type ModelConfig, numKvHeads, numLayers } from '../../harness/core/model/model-config.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';

type Metadata = InferenceSession.ValueMetadata;

/** The float type of a decoder's logits and KV cache: a float32 or a float16 export. */
export type DecoderFloat = 'float32' | 'float16';

/**
 * Check that an ONNX decoder has exactly the KV-cache I/O the backend feeds (Optimum's names) and
 * that its fixed dims agree with config.json, so a mismatched export fails at load with both
 * values named instead of at the first run with an ORT shape error. Returns the float type of
 * the logits, which the cache must share.
 */
export function checkDecoderIo(
  session: Pick<InferenceSession, 'inputMetadata' | 'outputMetadata'>,
  config: ModelConfig,
  where: { onnxPath: string; configPath: string },
): DecoderFloat {
  const fail = (what: string): never => {
    throw new ModelDirError(
      `${where.onnxPath} does not match ${where.configPath}: ${what}; re-export the model or fix config.json`,
    );
  };
  const pastLayers = countLayers(session.inputMetadata, /^past_key_values\.(\d+)\.(?:key|value)$/);
  const presentLayers = countLayers(session.outputMetadata, /^present\.(\d+)\.(?:key|value)$/);
  const layers = numLayers(config);
  if (pastLayers !== layers) {
    fail(`the graph has ${pastLayers} layers of past_key_values inputs but config.json says ${layers}`);
  }
  if (presentLayers !== layers) {
    fail(`the graph has ${presentLayers} layers of present outputs but config.json says ${layers}`);
  }

  const logits = session.outputMetadata.find((m) => m.name === 'logits');
  const float: DecoderFloat = logits?.isTensor && logits.type === 'float16' ? 'float16' : 'float32';
  // [batch, kv heads, length, head dim]: under grouped-query attention the cache has fewer heads.
  const cacheShape = ['batch', numKvHeads(config), 'length', headDim(config)];
  const expectedInputs = new Map<string, { type: string; dims: readonly (number | string)[] }>([
    ['input_ids', { type: 'int64', dims: ['batch', 'seq'] }],
    ['attention_mask', { type: 'int64', dims: ['batch', 'total'] }],
    ['position_ids', { type: 'int64', dims: ['batch', 'seq'] }],
  ]);
  for (let i = 0; i < layers; i++) {
    for (const kv of ['key', 'value']) {
      expectedInputs.set(`past_key_values.${i}.${kv}`, { type: float, dims: cacheShape });
    }
  }
  for (const meta of session.inputMetadata) {
    if (!expectedInputs.has(meta.name)) {
      fail(
        `graph input ${JSON.stringify(meta.name)} is not one the decoder feeds (${[...expectedInputs.keys()].join(', ')})`,
      );
    }
  }
  for (const [name, expected] of expectedInputs) {
    checkTensor(session.inputMetadata, name, expected.type, expected.dims, 'input', fail);
  }
  checkTensor(session.outputMetadata, 'logits', float, ['batch', 'seq', config.vocab_size], 'output', fail);
  for (let i = 0; i < layers; i++) {
    for (const kv of ['key', 'value']) {
      checkTensor(session.outputMetadata, `present.${i}.${kv}`, float, cacheShape, 'output', fail);
    }
  }
  return float;
}

/**
 * checkDecoderIo for a freshly opened session of `model`: on a mismatch the session is released
 * before the error propagates, so a bad model dir leaks no native memory.
 */
export async function checkOpenedDecoder(
  session: Pick<InferenceSession, 'inputMetadata' | 'outputMetadata' | 'release'>,
  model: ModelDir,
): Promise<DecoderFloat> {
  try {
    return checkDecoderIo(session, model.config, {
      onnxPath: model.onnxPath,
      configPath: path.join(model.path, 'config.json'),
    });
  } catch (err) {
    await session.release();
    throw err;
  }
}

/** Distinct layer indices i among names `prefix.{i}.key|value`. */
function countLayers(metadata: readonly Metadata[], pattern: RegExp): number {
  return new Set(metadata.map((m) => pattern.exec(m.name)?.[1]).filter((i) => i !== undefined)).size;
}

/** A dims entry that is a number must match exactly; a string means "any extent" (symbolic). */
function checkTensor(
  metadata: readonly Metadata[],
  name: string,
  type: string,
  dims: readonly (number | string)[],
  kind: 'input' | 'output',
  fail: (what: string) => never,
): void {
  const meta = metadata.find((m) => m.name === name);
  if (!meta) fail(`the graph has no ${kind} ${JSON.stringify(name)}`);
  if (!meta.isTensor || meta.type !== type) {
    fail(`${kind} ${name} is ${meta.isTensor ? meta.type : 'not a tensor'}, expected ${type}`);
  }
  if (meta.shape.length !== dims.length) {
    fail(
      `${kind} ${name} has rank ${meta.shape.length} [${meta.shape.join(', ')}], expected rank ${dims.length}`,
    );
  }
  dims.forEach((want, axis) => {
    const got = meta.shape[axis];
    if (typeof want === 'number' && typeof got === 'number' && got !== want) {
      fail(`${kind} ${name} has dim ${axis} = ${got} [${meta.shape.join(', ')}], config implies ${want}`);
    }
  });
}
