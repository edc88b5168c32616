import { UsageError } from '../../core/errors.ts';
import { parseDecimal } from '../../core/parse-decimal.ts';

/** Each temperature adds two columns (adjusted logit, probability) to a table that must stay readable. */
export const MAX_TABLE_TEMPERATURES = 8;

/**
 * `--temperatures 1,1.95,0.2`: distinct temperatures in [0.01, 100]. Below 0.01 a probability
 * table is one-hot to every printed digit (and logit / T can overflow); 0 is greedy, not a
 * temperature a softmax can take.
 */
export function parseTemperatureList(text: string): number[] {
  const entries = text.split(',').map((t) => t.trim());
  if (entries.length > MAX_TABLE_TEMPERATURES) {
    throw new UsageError(
      `--temperatures lists ${entries.length} values; give at most ${MAX_TABLE_TEMPERATURES} (each adds two columns)`,
    );
  }
  const temperatures = entries.map((entry) =>
    parseDecimal('--temperatures', entry, {
      min: 0.01,
      max: 100,
      why: 'a softmax temperature; 0 is greedy, not a distribution',
    }),
  );
  for (const [i, t] of temperatures.entries()) {
    if (temperatures.indexOf(t) !== i) {
      throw new UsageError(`--temperatures lists ${t} twice; give each temperature once, e.g. 1,1.95,0.2`);
    }
  }
  return temperatures;
}
