import { NumericError } from '../../core/errors.ts';
import { candidateBefore } from './top-candidates.ts';

/** Ranges this short are finished by insertion sort. */
const INSERTION_SORT_MAX = 16;
/** The first batch of ranks put in order; later batches grow ×4, so a walk to rank r costs O(n + r log r). */
const FIRST_BATCH = 32;

function swap(ids: Int32Array, keys: Float64Array | Float32Array, a: number, b: number): void {
  const id = ids[a]!;
  ids[a] = ids[b]!;
  ids[b] = id;
  const key = keys[a]!;
  keys[a] = keys[b]!;
  keys[b] = key;
}

function before(ids: Int32Array, keys: Float64Array | Float32Array, a: number, b: number): boolean {
  return candidateBefore(ids[a]!, keys[a]!, ids[b]!, keys[b]!);
}

function insertionSort(ids: Int32Array, keys: Float64Array | Float32Array, lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    for (let j = i; j > lo && before(ids, keys, j, j - 1); j--) swap(ids, keys, j, j - 1);
  }
}

/** Lomuto partition around the median of three; returns the pivot's final position. */
function partition(ids: Int32Array, keys: Float64Array | Float32Array, lo: number, hi: number): number {
  const last = hi - 1;
  const mid = (lo + hi) >>> 1;
  if (before(ids, keys, mid, lo)) swap(ids, keys, mid, lo);
  if (before(ids, keys, last, lo)) swap(ids, keys, last, lo);
  if (before(ids, keys, mid, last)) swap(ids, keys, mid, last); // median now at `last`
  let store = lo;
  for (let i = lo; i < last; i++) {
    if (before(ids, keys, i, last)) swap(ids, keys, i, store++);
  }
  swap(ids, keys, store, last);
  return store;
}

/**
 * Partial quicksort of the parallel arrays (ids, keys) over positions [lo, hi): afterwards
 * [lo, lo + count) holds that range's `count` best entries in candidate order (descending key, ties
 * to the lower id) and the rest is unordered. Average O(n + count·log count): no full sort of a
 * vocabulary when only its head is needed. Candidate order is a strict total order (ids are unique),
 * so equal keys cannot degrade the partitions.
 */
export function sortPrefix(
  ids: Int32Array,
  keys: Float64Array | Float32Array,
  lo: number,
  hi: number,
  count: number,
): void {
  const end = Math.min(lo + count, hi);
  while (hi - lo > INSERTION_SORT_MAX && lo < end) {
    const pivot = partition(ids, keys, lo, hi);
    if (pivot + 1 < end) {
      sortPrefix(ids, keys, lo, pivot, pivot - lo);
      lo = pivot + 1;
    } else {
      hi = pivot;
    }
  }
  if (lo < end) insertionSort(ids, keys, lo, hi);
}

/**
 * The tokens that survive a processed scores row (finite scores; filtered ones are -Infinity) with
 * their softmax probabilities (max-subtracted, float64), put in candidate order lazily: a walk that
 * stops early (top-p reaching its mass, an inverse-CDF coin) sorts only the head it visited.
 */
export class CandidateOrder {
  /** How many tokens survive. */
  readonly count: number;
  /** Surviving ids; ranks below `orderedCount` are in candidate order, the rest not yet. */
  readonly ids: Int32Array;
  /** probs[r] is the probability of ids[r]; they sum to 1 up to rounding. */
  readonly probs: Float64Array;
  private orderedCount = 0;

  /** `tokenIds[j]`: the token scores[j] belongs to, for an error to name (default j: a whole row). */
  constructor(scores: ArrayLike<number>, tokenIds?: ArrayLike<number>) {
    const tokenOf = (j: number) => (tokenIds === undefined || j < 0 ? j : tokenIds[j]!);
    const n = scores.length;
    let max = -Infinity;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const x = scores[i]!;
      if (x !== -Infinity) {
        count++;
        if (x > max) max = x;
      }
    }
    if (max === Infinity) throwNonFinite(tokenOf(indexWhere(scores, (x) => x === Infinity)), max);
    const ids = new Int32Array(count);
    let r = 0;
    for (let i = 0; i < n; i++) if (scores[i] !== -Infinity) ids[r++] = i;
    // Exps and checks in loops of their own: a rare path inside a vocabulary scan makes V8 compile
    // the whole scan ~3x slower (measured).
    const probs = new Float64Array(count);
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const w = Math.exp(scores[ids[k]!]! - max);
      probs[k] = w;
      sum += w;
    }
    // A NaN score survives the -Infinity test and poisons the sum; found only then (a rare path).
    if (Number.isNaN(sum)) throwNonFinite(tokenOf(indexWhere(scores, Number.isNaN)), Number.NaN);
    for (let k = 0; k < count; k++) probs[k] = probs[k]! / sum;
    this.count = count;
    this.ids = ids;
    this.probs = probs;
  }

  /** Make ranks [0, rank] final. */
  orderThrough(rank: number): void {
    if (rank < this.orderedCount) return;
    const target = Math.min(this.count, Math.max(rank + 1, this.orderedCount * 4, FIRST_BATCH));
    sortPrefix(this.ids, this.probs, this.orderedCount, this.count, target - this.orderedCount);
    this.orderedCount = target;
  }
}

function indexWhere(scores: ArrayLike<number>, test: (x: number) => boolean): number {
  for (let i = 0; i < scores.length; i++) if (test(scores[i]!)) return i;
  return -1;
}

function throwNonFinite(id: number, value: number): never {
  throw new NumericError(
    `the score for token ${id} is ${value} after the logits processors; only finite scores and ` +
      '-Infinity (filtered) can be sampled (check the backend with `decode-harness compare`)',
  );
}
