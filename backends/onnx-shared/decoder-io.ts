import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ModelDirError } from '../../harness/core/errors.ts';
import { headDim, type ModelConfig, numKvHeads, numLayers } from '../../harness/core/model/model-config.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';

type Metadata = InferenceSession.ValueMetadata;

/** The float type of a decoder's KV cache (and of its logits, unless it outputs float32 ones). */
export type DecoderFloat = 'float32' | 'float16';

/** What a decoder graph declares beyond the inputs every one has, read from its own metadata. */
export interface DecoderLayout {
  /** The cache's float type, from past_key_values.0.key (a config's kv_cache_dtype is not trusted). */
  readonly float: DecoderFloat;
  /** position_ids int64 [batch, seq]; a graph without it derives positions itself. */
  readonly positionIds: boolean;
  /** num_logits_to_keep int64 scalar: logits for the last k positions, every position for 0. */
  readonly numLogitsToKeep: boolean;
  /** use_cache_branch bool [1]: Optimum's merged decoder, false for the run without a past. */
  readonly useCacheBranch: boolean;
}

const OPTIONAL_INPUTS = {
  position_ids: { type: 'int64', dims: ['batch', 'seq'] },
  num_logits_to_keep: { type: 'int64', dims: [] },
  use_cache_branch: { type: 'bool', dims: [1] },
} as const;

/**
 * Check that an ONNX decoder has the KV-cache I/O the backends feed (Optimum's names: input_ids,
 * attention_mask, past_key_values.{i}.key|value, and optionally position_ids, num_logits_to_keep,
 * use_cache_branch) and that its fixed dims agree with config.json, so a mismatched export fails at
 * load with both values named instead of at the first run with an ORT shape error.
 */
export function checkDecoderIo(
  session: Pick<InferenceSession, 'inputMetadata' | 'outputMetadata'>,
  config: ModelConfig,
  where: { onnxPath: string; configPath: string },
): DecoderLayout {
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

  const firstPast = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  const float: DecoderFloat = firstPast?.isTensor && firstPast.type === 'float16' ? 'float16' : 'float32';
  // [batch, kv heads, length, head dim]: under grouped-query attention the cache has fewer heads.
  const cacheShape = ['batch', numKvHeads(config), 'length', headDim(config)];
  const expectedInputs = new Map<string, { type: string; dims: readonly (number | string)[] }>([
    ['input_ids', { type: 'int64', dims: ['batch', 'seq'] }],
    ['attention_mask', { type: 'int64', dims: ['batch', 'total'] }],
  ]);
  for (let i = 0; i < layers; i++) {
    for (const kv of ['key', 'value']) {
      expectedInputs.set(`past_key_values.${i}.${kv}`, { type: float, dims: cacheShape });
    }
  }
  const declared = (name: keyof typeof OPTIONAL_INPUTS): boolean => {
    if (!session.inputMetadata.some((m) => m.name === name)) return false;
    expectedInputs.set(name, OPTIONAL_INPUTS[name]);
    return true;
  };
  const layout: DecoderLayout = {
    float,
    positionIds: declared('position_ids'),
    numLogitsToKeep: declared('num_logits_to_keep'),
    useCacheBranch: declared('use_cache_branch'),
  };
  for (const meta of session.inputMetadata) {
    if (!expectedInputs.has(meta.name)) {
      const what = meta.isTensor ? `${meta.type} [${meta.shape.join(', ')}]` : 'a non-tensor value';
      fail(
        `graph input ${JSON.stringify(meta.name)} (${what}) is not one the decoder can feed ` +
          `(${[...expectedInputs.keys(), ...Object.keys(OPTIONAL_INPUTS)].filter(unique).join(', ')})`,
      );
    }
  }
  for (const [name, expected] of expectedInputs) {
    checkTensor(session.inputMetadata, name, [expected.type], expected.dims, 'input', fail);
  }
  // A float16 export may still output float32 logits; both widen exactly.
  checkTensor(
    session.outputMetadata,
    'logits',
    ['float32', 'float16'],
    ['batch', 'seq', config.vocab_size],
    'output',
    fail,
  );
  for (let i = 0; i < layers; i++) {
    for (const kv of ['key', 'value']) {
      checkTensor(session.outputMetadata, `present.${i}.${kv}`, [float], cacheShape, 'output', fail);
    }
  }
  return layout;
}

const unique = (name: string, i: number, all: readonly string[]): boolean => all.indexOf(name) === i;

/**
 * checkDecoderIo for a freshly opened session of `model`: on a mismatch the session is released
 * before the error propagates, so a bad model dir leaks no native memory.
 */
export async function checkOpenedDecoder(
  session: Pick<InferenceSession, 'inputMetadata' | 'outputMetadata' | 'release'>,
  model: ModelDir,
): Promise<DecoderLayout> {
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
  types: readonly string[],
  dims: readonly (number | string)[],
  kind: 'input' | 'output',
  fail: (what: string) => never,
): void {
  const meta = metadata.find((m) => m.name === name);
  if (!meta) fail(`the graph has no ${kind} ${JSON.stringify(name)}`);
  if (!meta.isTensor || !types.includes(meta.type)) {
    fail(`${kind} ${name} is ${meta.isTensor ? meta.type : 'not a tensor'}, expected ${types.join(' or ')}`);
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
