import { InferenceSession, Tensor } from 'onnxruntime-node';
import { cacheGatherGraph, cacheGatherNames } from './cache-gather-graph.ts';
import type { EpSpec } from './execution-provider.ts';
import type { CacheGather } from './kv-cache.ts';

/**
 * Reorders a device-resident cache on the device: one run of the gather graph on the decoder's
 * own provider, outputs kept on the device. onnxruntime-node shares one device per provider in a
 * process, so the decoder session's GPU tensors feed this session directly.
 */
export class DeviceCacheGather implements CacheGather {
  private constructor(
    private readonly session: InferenceSession,
    private readonly names: ReturnType<typeof cacheGatherNames>,
  ) {}

  static async open(spec: EpSpec, count: number): Promise<DeviceCacheGather> {
    const names = cacheGatherNames(count);
    const session = await InferenceSession.create(cacheGatherGraph(count), {
      executionProviders: [spec.ep],
      preferredOutputLocation: Object.fromEntries(names.outputs.map((name) => [name, 'gpu-buffer'])),
    });
    return new DeviceCacheGather(session, names);
  }

  async gather(tensors: readonly Tensor[], sourceRows: readonly number[]): Promise<Tensor[]> {
    const feeds: Record<string, Tensor> = {
      [this.names.rows]: new Tensor('int64', BigInt64Array.from(sourceRows, BigInt), [sourceRows.length]),
    };
    tensors.forEach((t, i) => {
      feeds[this.names.inputs[i]!] = t;
    });
    const out = await this.session.run(feeds);
    return this.names.outputs.map((name) => out[name] as Tensor);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
