/** NMSE = Σ(ours − reference)² / Σ reference² (the raw squared error for an all-zero reference). */
export function nmse(ours: ArrayLike<number>, reference: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < reference.length; i++) {
    num += (ours[i]! - reference[i]!) ** 2;
    den += reference[i]! ** 2;
  }
  return den === 0 ? num : num / den;
}
