import type { Script } from './scripted-source.ts';

/**
 * Logits whose softmax is exactly the given probabilities: log(p), with a zero probability written as
 * -1000 (exp underflows to 0, while the decode contract rejects -Infinity logits as a backend fault).
 */
export function logitsOfProbs(probs: readonly number[]): number[] {
  return probs.map((p) => (p > 0 ? Math.log(p) : -1000));
}

/**
 * A script from a table of next-token probabilities keyed by the tokens generated after the prompt,
 * comma-joined ('' is the first step, '2,0' the step after generating 2 then 0). Contexts not in the
 * table get `fallback`. Written as probabilities so a test's expected numbers are plain arithmetic.
 */
export function tableScript(
  promptLength: number,
  table: Readonly<Record<string, readonly number[]>>,
  fallback: readonly number[],
): Script {
  const logits = new Map(Object.entries(table).map(([key, probs]) => [key, logitsOfProbs(probs)]));
  const fallbackLogits = logitsOfProbs(fallback);
  return (context) => logits.get(context.slice(promptLength).join(',')) ?? fallbackLogits;
}
