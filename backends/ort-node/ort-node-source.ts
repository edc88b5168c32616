import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { checkPrefillRows, checkReorder, checkStepTokens } from '../../harness/core/backend/batch-checks.ts';
import {
  type BackendInfo,
  type BackendOptions,
  type Logits,
  type LogitsSource,
  lastPositionLogits,
  type PrefillOptions,
} from '../../harness/core/backend/contract.ts';
import { BackendUnavailable, UsageError } from '../../harness/core/errors.ts';
import { float32Data } from '../../harness/core/model/float16.ts';
import {
  headDim,
  type ModelConfig,
  maxPositions,
  numKvHeads,
  numLayers,
  padTokenId,
} from '../../harness/core/model/model-config.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { type DecoderRun, decoderInputs } from '../onnx-shared/decoder-inputs.ts';
import { checkOpenedDecoder, type DecoderLayout } from '../onnx-shared/decoder-io.ts';
import { PaddedBatch } from '../onnx-shared/padded-batch.ts';
import { DeviceCacheGather } from './device-cache-gather.ts';
import { EP_SPECS, type EpSpec, type OrtNodeEp } from './execution-provider.ts';
import { type CacheGather, hostCacheGather, KvCache } from './kv-cache.ts';
import { openOrtSession } from './ort-session.ts';

/** Host buffers for one-token steps, allocated once per batch size and rewritten in place. */
class StepBuffers {
  readonly inputIds: BigInt64Array; // [batch, 1]
  readonly positionIds: BigInt64Array; // [batch, 1]
  /** attention_mask storage; each step uses the front [batch, length] of it. */
  readonly mask: BigInt64Array; // capacity [batch, maxPositions]

  constructor(batch: number, maxPositions: number) {
    this.inputIds = new BigInt64Array(batch);
    this.positionIds = new BigInt64Array(batch);
    this.mask = new BigInt64Array(batch * maxPositions);
  }
}

/** The decoder's non-cache inputs for one run as onnxruntime-node tensors (views, no copies). */
function inputTensors(layout: DecoderLayout, run: DecoderRun): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const input of decoderInputs(layout, run)) {
    feeds[input.name] =
      input.type === 'bool'
        ? new Tensor('bool', input.data, input.dims)
        : new Tensor('int64', input.data, input.dims);
  }
  return feeds;
}

/** Everything that describes the current rows; replaced as a whole after each successful run. */
interface RowState {
  readonly batch: PaddedBatch;
  readonly cache: KvCache;
  readonly buffers: StepBuffers;
}

/**
 * An ONNX KV-cache decoder (any family: the graph does the math) on one onnxruntime-node
 * execution provider: CPU, CUDA or WebGPU. With a device-resident cache (EpSpec.cacheOnDevice)
 * only the logits cross to the host each step.
 */
export class OrtNodeSource implements LogitsSource {
  readonly vocabSize: number;
  readonly maxPositions: number;
  private rows: RowState | undefined;
  private disposed = false;
  private deviceGather: DeviceCacheGather | undefined;

  private constructor(
    private readonly session: InferenceSession,
    readonly info: BackendInfo,
    private readonly config: ModelConfig,
    private readonly spec: EpSpec,
    private readonly layout: DecoderLayout,
  ) {
    this.vocabSize = config.vocab_size;
    this.maxPositions = maxPositions(config);
  }

  /** Load `model.onnxPath` on `ep` and check its I/O against config.json before any run. */
  static async open(
    model: ModelDir,
    options: BackendOptions = {},
    ep: OrtNodeEp = 'cpu',
  ): Promise<OrtNodeSource> {
    const spec = EP_SPECS[ep];
    const deviceOutputs = spec.cacheOnDevice ? KvCache.presentNames(numLayers(model.config)) : [];
    const { session, info } = await openOrtSession(model.onnxPath, spec, options.threads, deviceOutputs);
    const layout = await checkOpenedDecoder(session, model);
    const source = new OrtNodeSource(session, { ...info, dtype: layout.float }, model.config, spec, layout);
    if (spec.ep === 'webgpu' && layout.float === 'float16') await source.checkShaderF16(model.onnxPath);
    return source;
  }

  async prefill(rows: readonly (readonly number[])[], options: PrefillOptions = {}): Promise<Logits> {
    this.checkUsable('prefill');
    this.dropRows();
    checkPrefillRows(this.info.id, rows, this.vocabSize, this.maxPositions);
    const { batch, inputIds, positionIds } = PaddedBatch.fromRows(rows, padTokenId(this.config));
    const [size, length] = [batch.size, batch.length];
    const buffers = new StepBuffers(size, this.maxPositions);
    const { config } = this;
    const empty = KvCache.empty(
      numLayers(config),
      size,
      numKvHeads(config),
      headDim(config),
      this.layout.float,
    );
    const allPositions = options.allPositions ?? false;
    const feeds = inputTensors(this.layout, {
      batch: size,
      seq: length,
      total: length,
      inputIds,
      positionIds,
      attentionMask: batch.writeMask(buffers.mask),
      freshCache: true,
      allPositions,
    });
    empty.feedInto(feeds);
    const out = await this.session.run(feeds);
    this.rows = { batch, cache: empty.advanced(out), buffers };
    const logitsTensor = out.logits as Tensor;
    // [batch, positions, vocab]: positions is length, or 1 under num_logits_to_keep.
    const logits = float32Data(logitsTensor.type, logitsTensor.data);
    const positions = logitsTensor.dims[1]!;
    return allPositions
      ? { batch: size, positions, vocab: this.vocabSize, data: logits }
      : lastPositionLogits(logits, size, positions, this.vocabSize);
  }

  async step(tokens: readonly number[]): Promise<Logits> {
    const rows = this.current('step');
    const size = rows.batch.size;
    const next = rows.batch.grown();
    checkStepTokens(this.info.id, tokens, size, this.vocabSize, next.length, this.maxPositions);
    const { buffers } = rows;
    tokens.forEach((id, b) => {
      buffers.inputIds[b] = BigInt(id);
      buffers.positionIds[b] = BigInt(next.lastPosition(b));
    });
    const feeds = inputTensors(this.layout, {
      batch: size,
      seq: 1,
      total: next.length,
      inputIds: buffers.inputIds,
      positionIds: buffers.positionIds,
      attentionMask: next.writeMask(buffers.mask),
      freshCache: false,
      allPositions: false,
    });
    rows.cache.feedInto(feeds);
    const out = await this.session.run(feeds);
    this.rows = { batch: next, cache: rows.cache.advanced(out), buffers };
    rows.cache.release();
    // [batch, 1, vocab]: already exactly the step's answer, handed out without a copy.
    return {
      batch: size,
      positions: 1,
      vocab: this.vocabSize,
      data: float32Data((out.logits as Tensor).type, (out.logits as Tensor).data),
    };
  }

  async reorder(sourceRows: readonly number[]): Promise<void> {
    const rows = this.current('reorder');
    checkReorder(this.info.id, sourceRows, rows.batch.size);
    const cache = await rows.cache.gather(sourceRows, await this.cacheGather());
    rows.cache.release();
    this.rows = {
      batch: rows.batch.gather(sourceRows),
      cache,
      buffers:
        sourceRows.length === rows.batch.size
          ? rows.buffers
          : new StepBuffers(sourceRows.length, this.maxPositions),
    };
  }

  reset(): void {
    this.dropRows();
  }

  /**
   * The ONNX Runtime session itself, for the harness-overhead benchmark (harness/bench/
   * bare-ort-loop.ts), which times a bare loop on this very session: identical sessions in one
   * process differ by up to ~10% in speed depending on where their weights land in memory
   * (measured), so a bare loop on a session of its own could not resolve a 2% overhead.
   */
  get inferenceSession(): InferenceSession {
    return this.session;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.dropRows();
    await this.deviceGather?.release();
    await this.session.release();
  }

  /**
   * onnxruntime-node cannot list the adapter's features, and its WebGPU provider accepts a
   * float16 graph at load but fails the first run where the adapter lacks shader-f16 (SwiftShader):
   * one token tells, and that is a backend that cannot run this model, said before any check.
   */
  private async checkShaderF16(onnxPath: string): Promise<void> {
    try {
      await this.prefill([[padTokenId(this.config)]]);
      this.reset();
    } catch (err) {
      await this.dispose();
      throw noShaderF16(err, this.info, onnxPath);
    }
  }

  private dropRows(): void {
    this.rows?.cache.release();
    this.rows = undefined;
  }

  private async cacheGather(): Promise<CacheGather> {
    if (!this.spec.cacheOnDevice) return hostCacheGather;
    this.deviceGather ??= await DeviceCacheGather.open(this.spec, 2 * numLayers(this.config));
    return this.deviceGather;
  }

  private checkUsable(op: string): void {
    if (this.disposed) {
      throw new UsageError(`${this.info.id}: ${op} called after dispose(); create a new source`);
    }
  }

  private current(op: string): RowState {
    this.checkUsable(op);
    if (!this.rows) throw new UsageError(`${this.info.id}: ${op} called with no rows; call prefill first`);
    return this.rows;
  }
}

/**
 * A WebGPU run's "requires f16" failure as what it is: a backend that cannot run a float16 graph on
 * this adapter (no shader-f16); any other error unchanged.
 */
export function noShaderF16(err: unknown, info: BackendInfo, onnxPath: string): unknown {
  const message = (err as Error).message;
  if (!/requires f16/.test(message)) return err;
  return new BackendUnavailable(
    info.id,
    `${onnxPath} is a float16 graph and ${info.device} has no shader-f16 (onnxruntime: ${message.split('\n')[0]})`,
    'run it on a GPU whose Vulkan driver offers shader-f16 (any recent NVIDIA GPU), or use the float32 model',
  );
}
