import {
  GENERATION_FIELDS,
  GENERATION_OPTIONS,
  type GenerationConfig,
  strategyOf,
} from './generation-config.ts';
import type { ConfigLayer } from './resolve-generation-config.ts';

/**
 * Hugging Face's GenerationConfig.validate warning: settings only a sampling run reads (the warpers,
 * which HF runs only with do_sample) given away from their defaults in a run that does not sample.
 * Each is named as its source wrote it (`--top-k 5`, `gen.json: top_p 0.9`). Temperature 0 is this
 * harness's way of asking for greedy decoding, so it is not one of them.
 */
export function ignoredSamplingSettings(layers: readonly ConfigLayer[], config: GenerationConfig): string[] {
  if (strategyOf(config) === 'sample') return [];
  return GENERATION_FIELDS.filter((field) => {
    const option = GENERATION_OPTIONS[field];
    if (!option.feeds.endsWith(' warper') || config[field] === option.default) return false;
    return !(field === 'temperature' && config.temperature === 0);
  }).map((field) => {
    const given = layers.findLast(
      (layer) => layer.values[field] !== undefined && layer.values[field] !== null,
    );
    return `${given ? given.label(field) : field} ${JSON.stringify(config[field])}`;
  });
}
