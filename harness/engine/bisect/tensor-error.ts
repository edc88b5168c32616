import type { ProbeTensor } from '../../core/backend/contract.ts';
import { FLOAT16_MAX } from '../../core/model/float16.ts';

/** How far one tensor of the tested side is from the same tensor of the reference side. */
export interface TensorError {
  readonly name: string;
  readonly type: string;
  readonly dims: readonly number[];
  /** max |tested − reference|; Infinity where one side is ±Inf or NaN and the other is not. */
  readonly maxAbsDiff: number;
  /** Σ (tested − reference)² / Σ reference² (llama.cpp test-backend-ops' NMSE); 0 when equal. */
  readonly nmse: number;
  /** max |reference| over its finite values: the magnitude the error is measured against. */
  readonly scale: number;
  /** The element with the largest |Δ| (the first of equals), or null when the tensors are equal. */
  readonly worst: {
    readonly index: readonly number[];
    readonly tested: number;
    readonly reference: number;
  } | null;
}

/** Where a float16 tensor overflowed on one side while the other side's value is finite. */
export interface Float16Overflow {
  readonly name: string;
  readonly side: 'tested' | 'reference';
  readonly index: readonly number[];
  readonly tested: number;
  readonly reference: number;
  /** How many elements overflowed that way. */
  readonly count: number;
}

/** Row-major index of flat position `at` in `dims`. */
export function unravel(at: number, dims: readonly number[]): number[] {
  const index = new Array<number>(dims.length);
  let rest = at;
  for (let i = dims.length - 1; i >= 0; i--) {
    index[i] = rest % dims[i]!;
    rest = Math.floor(rest / dims[i]!);
  }
  return index;
}

/** |a − b| with equal infinities at 0, and Infinity where exactly one is finite or either is NaN. */
function absDiff(a: number, b: number): number {
  if (a === b) return 0;
  if (Number.isFinite(a) && Number.isFinite(b)) return Math.abs(a - b);
  return Number.POSITIVE_INFINITY;
}

/**
 * Magnitudes from here up stand for −∞ or +∞: a masked attention score, filled with the type's
 * finfo.min (float32 −3.4e38; float16 −65504, plus a score where the mask is added). Where both
 * sides hold one of the same sign, the element is left out of NMSE and scale, which it would
 * otherwise swamp (65504² or 3.4e38² against scores of order 1). float16 overflow is judged apart.
 */
const MASK_FILL_MAGNITUDE: Readonly<Record<string, number>> = { float16: 65000 };
const FLOAT32_MASK_FILL_MAGNITUDE = 1e38;

const maskFillAt = (type: string) => MASK_FILL_MAGNITUDE[type] ?? FLOAT32_MASK_FILL_MAGNITUDE;
const isMaskFill = (x: number, at: number) => Number.isFinite(x) && Math.abs(x) >= at;

/** The tensors' error; they must have the same dims (a shape mismatch is the caller's to report). */
export function tensorError(name: string, tested: ProbeTensor, reference: ProbeTensor): TensorError {
  let maxAbsDiff = 0;
  let worstAt = -1;
  let sumSquaredDiff = 0;
  let sumSquaredRef = 0;
  let scale = 0;
  // The coarser side's fill: a float16 graph's −65504 against a float64 value of it.
  const fillAt = Math.min(maskFillAt(tested.type), maskFillAt(reference.type));
  for (let i = 0; i < reference.data.length; i++) {
    const [t, r] = [tested.data[i]!, reference.data[i]!];
    if (isMaskFill(r, fillAt) && isMaskFill(t, fillAt) && Math.sign(r) === Math.sign(t)) continue;
    const d = absDiff(t, r);
    if (d > maxAbsDiff) {
      maxAbsDiff = d;
      worstAt = i;
    }
    sumSquaredDiff += d * d;
    if (Number.isFinite(r)) {
      sumSquaredRef += r * r;
      scale = Math.max(scale, Math.abs(r));
    }
  }
  const nmse =
    sumSquaredDiff === 0
      ? 0
      : sumSquaredRef === 0
        ? Number.POSITIVE_INFINITY
        : sumSquaredDiff / sumSquaredRef;
  return {
    name,
    type: reference.type,
    dims: reference.dims,
    maxAbsDiff,
    nmse,
    scale,
    worst:
      worstAt < 0
        ? null
        : {
            index: unravel(worstAt, reference.dims),
            tested: tested.data[worstAt]!,
            reference: reference.data[worstAt]!,
          },
  };
}

/** Beyond this a float32 or float64 value rounds to ±Inf in float16 (65504 + half its ulp). */
const FLOAT16_OVERFLOW_AT = 65520;

/**
 * A float16 value that overflowed: ±Inf or NaN, or ±65504 (a provider that saturates) where the
 * other side's value is beyond float16's range — while that other side's value is finite. A value
 * the other side also holds near ±65504 (a mask fill of finfo(float16).min) is not an overflow.
 */
function overflowed(value: number, other: number): boolean {
  if (!Number.isFinite(other)) return false;
  if (!Number.isFinite(value)) return true;
  return Math.abs(value) === FLOAT16_MAX && Math.abs(other) >= FLOAT16_OVERFLOW_AT;
}

/** The first float16 overflow in `name` on either side (tested first), or null. */
export function float16Overflow(
  name: string,
  tested: ProbeTensor,
  reference: ProbeTensor,
): Float16Overflow | null {
  for (const side of ['tested', 'reference'] as const) {
    const [mine, other] = side === 'tested' ? [tested, reference] : [reference, tested];
    if (mine.type !== 'float16') continue;
    let first = -1;
    let count = 0;
    for (let i = 0; i < mine.data.length; i++) {
      if (!overflowed(mine.data[i]!, other.data[i]!)) continue;
      if (first < 0) first = i;
      count++;
    }
    if (first >= 0) {
      return {
        name,
        side,
        index: unravel(first, mine.dims),
        tested: tested.data[first]!,
        reference: reference.data[first]!,
        count,
      };
    }
  }
  return null;
}
