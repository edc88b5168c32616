/**
 * One batch row's KV cache for `ts:f32`, llama2.c's layout per row: for each layer a key and a value
 * buffer [capacity, C] (C = heads · headDim, so each head's slice of a position is contiguous).
 * Only real tokens are stored, at index = position id: left padding never enters attention and
 * `pad` only places the row's columns in the left-padded batch. Capacity grows by doubling up to
 * the model's n_positions, so short sequences do not pay for the longest one.
 */
export class RowCacheF32 {
  /** Left-padding columns in front of the first real token. */
  readonly pad: number;
  /** Real tokens cached (= the next token's position id). */
  length = 0;
  /** Positions each buffer holds. */
  #capacity: number;
  /** Per layer [capacity, C]. */
  #keys: Float32Array[];
  #values: Float32Array[];
  readonly #width: number;
  readonly #maxPositions: number;

  constructor(pad: number, layers: number, width: number, capacity: number, maxPositions: number) {
    this.pad = pad;
    this.#width = width;
    this.#maxPositions = maxPositions;
    this.#capacity = capacity;
    this.#keys = Array.from({ length: layers }, () => new Float32Array(capacity * width));
    this.#values = Array.from({ length: layers }, () => new Float32Array(capacity * width));
  }

  /** Layer `l`'s keys [capacity, C]; positions [0, length) are filled. */
  keys(l: number): Float32Array {
    return this.#keys[l]!;
  }

  /** Layer `l`'s values [capacity, C]. */
  values(l: number): Float32Array {
    return this.#values[l]!;
  }

  /** Make room for `positions` positions, keeping the filled ones. */
  reserve(positions: number): void {
    if (positions <= this.#capacity) return;
    this.#capacity = Math.min(Math.max(positions, 2 * this.#capacity), this.#maxPositions);
    this.#keys = this.#keys.map((k) => this.#moved(k));
    this.#values = this.#values.map((v) => this.#moved(v));
  }

  /** An independent copy (beam search continues one row in several). */
  copy(): RowCacheF32 {
    const copy = new RowCacheF32(
      this.pad,
      this.#keys.length,
      this.#width,
      this.#capacity,
      this.#maxPositions,
    );
    copy.length = this.length;
    this.#keys.forEach((k, l) => {
      copy.#keys[l]!.set(this.#filled(k));
    });
    this.#values.forEach((v, l) => {
      copy.#values[l]!.set(this.#filled(v));
    });
    return copy;
  }

  #filled(buffer: Float32Array): Float32Array {
    return buffer.subarray(0, this.length * this.#width);
  }

  #moved(buffer: Float32Array): Float32Array {
    const grown = new Float32Array(this.#capacity * this.#width);
    grown.set(this.#filled(buffer));
    return grown;
  }
}
