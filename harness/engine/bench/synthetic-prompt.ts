import { streamSeed, Xoshiro128ss } from '../model-gen/int-prng.ts';

/**
 * Deterministic prompt token ids for throughput runs: row `row` of a batch of `length` ids drawn
 * uniformly from [0, vocabSize) with the integer PRNG, skipping `avoid` (end-of-sequence ids, so a
 * prompt never ends a sequence early). The same arguments give the same ids on every machine, so
 * two reports time the same work. Text content does not matter for timing; only the count does.
 */
export function syntheticPrompt(
  length: number,
  vocabSize: number,
  avoid: readonly number[],
  row = 0,
): number[] {
  if (!(Number.isInteger(length) && length >= 1)) {
    throw new Error(`syntheticPrompt: length ${length} must be a whole number ≥ 1`);
  }
  const rng = new Xoshiro128ss(streamSeed(0x5eed, `bench-prompt-row-${row}`));
  const ids: number[] = [];
  while (ids.length < length) {
    const id = rng.nextUint32() % vocabSize;
    if (!avoid.includes(id)) ids.push(id);
  }
  return ids;
}
