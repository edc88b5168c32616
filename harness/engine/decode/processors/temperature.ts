import { UsageError } from '../../../core/errors.ts';
import type { LogitsProcessor } from './logits-processor.ts';

/**
 * Temperature scaling (Ackley, Hinton & Sejnowski 1985, "A learning algorithm for Boltzmann
 * machines"; HF TemperatureLogitsWarper): scores / T. T < 1 sharpens, T > 1 flattens.
 * No-op value: 1. Temperature 0 means greedy decoding; the sample strategy turns it into argmax before
 * building a chain, so here it is an error.
 */
export const temperatureNoOp = 1;

export function createTemperature(temperature: number): LogitsProcessor {
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new UsageError(
      `--temperature ${temperature} must be a finite number > 0 (for greedy decoding use --strategy greedy)`,
    );
  }
  return {
    name: 'temperature',
    ignoresFiltered: true,
    apply(scores) {
      for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / temperature;
    },
  };
}
