import type { TemperatureTable } from './decode-result.ts';
import { logSoftmax } from './log-softmax.ts';
import { createTemperature } from './processors/temperature.ts';

/** The temperature warper reads no history. */
const NO_HISTORY = { ids: [], promptLength: 0 } as const;

/**
 * One step's logits at several temperatures side by side: for each listed token its logit, and at
 * each T the adjusted logit (logit / T, the temperature warper's own output) and its probability
 * under softmax over the whole vocabulary at that T. Temperature alone: no other processor runs.
 */
export function temperatureTable(
  logits: ArrayLike<number>,
  ids: readonly number[],
  temperatures: readonly number[],
): TemperatureTable {
  const columns = temperatures.map((temperature) => {
    const adjusted = Float64Array.from(logits);
    createTemperature(temperature).apply(adjusted, NO_HISTORY);
    return { adjusted, logprobs: logSoftmax(adjusted, `temperature ${temperature}`) };
  });
  return {
    temperatures: [...temperatures],
    rows: ids.map((id) => ({
      id,
      logit: logits[id]!,
      at: columns.map((c) => ({ adjusted: c.adjusted[id]!, prob: Math.exp(c.logprobs[id]!) })),
    })),
  };
}
