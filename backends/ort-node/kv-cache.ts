import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { gatherCacheRows } from '../../harness/core/backend/cache-rows.ts';

/** Graph names of one cache tensor: fed as `past`, returned as `present`. */
interface CacheSlot {
  readonly past: string;
  readonly present: string;
}

/** Reorders cache tensors along the batch axis; on the host, or on the device that holds them. */
export interface CacheGather {
  gather(tensors: readonly Tensor[], sourceRows: readonly number[]): Promise<Tensor[]>;
}

/**
 * The decoder's KV cache: one tensor per layer and key/value, each [batch, heads, length,
 * headDim], on the host or (GPU providers) on the device. A step's `present.*` outputs become the
 * next step's `past_key_values.*` inputs as they are (no copy); only `gather` (beam reorder)
 * copies. Device tensors hold GPU memory until `release`.
 */
export class KvCache {
  private constructor(
    private readonly slots: readonly CacheSlot[],
    private readonly tensors: readonly Tensor[],
  ) {}

  /** Output names of the cache, in slot order (what a GPU session keeps on the device). */
  static presentNames(nLayer: number): string[] {
    return cacheSlots(nLayer).map((s) => s.present);
  }

  /** The cache before the first token: every tensor [batch, heads, 0, headDim] on the host. */
  static empty(
    nLayer: number,
    batch: number,
    heads: number,
    headDim: number,
    float: 'float32' | 'float16' = 'float32',
  ): KvCache {
    const slots = cacheSlots(nLayer);
    const dims = [batch, heads, 0, headDim];
    const tensors = slots.map(() =>
      float === 'float16'
        ? new Tensor('float16', new Uint16Array(0), dims)
        : new Tensor('float32', new Float32Array(0), dims),
    );
    return new KvCache(slots, tensors);
  }

  /** Add the cache to a step's feeds. */
  feedInto(feeds: Record<string, Tensor>): void {
    this.slots.forEach((slot, i) => {
      feeds[slot.past] = this.tensors[i]!;
    });
  }

  /** The cache after a run: that run's `present.*` outputs. */
  advanced(outputs: InferenceSession.ReturnType): KvCache {
    return new KvCache(
      this.slots,
      this.slots.map((slot) => outputs[slot.present] as Tensor),
    );
  }

  /** New row r holds old row `sourceRows[r]` (indices already checked). */
  async gather(sourceRows: readonly number[], by: CacheGather): Promise<KvCache> {
    return new KvCache(this.slots, await by.gather(this.tensors, sourceRows));
  }

  /** Free device memory now rather than at garbage collection; host tensors need nothing. */
  release(): void {
    for (const t of this.tensors) if (t.location === 'gpu-buffer') t.dispose();
  }
}

function cacheSlots(nLayer: number): CacheSlot[] {
  const slots: CacheSlot[] = [];
  for (let i = 0; i < nLayer; i++) {
    for (const kv of ['key', 'value']) {
      slots.push({ past: `past_key_values.${i}.${kv}`, present: `present.${i}.${kv}` });
    }
  }
  return slots;
}

/** Host gather: each row is one block copy. */
export const hostCacheGather: CacheGather = {
  async gather(tensors, sourceRows) {
    return tensors.map((t) => {
      const rows = gatherCacheRows(t, sourceRows);
      return rows.type === 'float16'
        ? new Tensor('float16', rows.data as Uint16Array, rows.dims)
        : new Tensor('float32', rows.data as Float32Array, rows.dims);
    });
  },
};
