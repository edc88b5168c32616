import { ModelDirError } from '../errors.ts';
import type { ParameterLayout } from './families/model-family.ts';
import { familyOf, type ModelConfig, numLayers } from './model-config.ts';

/** Every parameter of the model, in file order (its family's layout). */
export function parameterLayout(config: ModelConfig): ParameterLayout {
  return familyOf(config).parameterLayout(config);
}

/** Elements in every parameter: the model's size (a tied LM head counts once). */
export function parameterCount(config: ModelConfig): number {
  return parameterLayout(config).parameters.reduce((n, p) => n + p.shape.reduce((a, d) => a * d, 1), 0);
}

/**
 * Check that `tensors` (names as parameterLayout gives them; GPT-2's without the `transformer.`
 * prefix) hold every parameter with the shape `config` implies, so a config.json from another model
 * fails here with a message instead of as garbage logits. `file` is the weights file named in messages.
 */
export function checkWeightsMatchConfig(
  config: ModelConfig,
  tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>,
  file: string,
): void {
  // Every layer holds at least one tensor: a layer count beyond the file's tensor count is refused
  // before the expected layout (a dozen entries a layer) is built for it.
  const mismatch = 'config.json and the weights come from different models; re-export them together';
  const layers = numLayers(config);
  if (layers > tensors.size) {
    throw new ModelDirError(
      `config.json says the model has ${layers} layers but ${file} holds only ${tensors.size} tensors; ${mismatch}`,
    );
  }
  const { layersKey, layerMarker, parameters } = parameterLayout(config);
  const markers = new Set(Array.from({ length: layers }, (_, i) => layerMarker(i)));
  for (const { name, dims, shape } of parameters) {
    const tensor = tensors.get(name);
    if (tensor === undefined) {
      // A whole layer missing (its first tensor) means config.json has too many layers.
      const why = markers.has(name) ? `config.json says ${layersKey} ${layers} but ` : '';
      throw new ModelDirError(`${why}${file} has no ${name}; ${mismatch}`);
    }
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw new ModelDirError(
        `${file}: ${name} has shape [${tensor.shape.join(', ')}] but config.json implies ${dims} = ` +
          `[${shape.join(', ')}]; ${mismatch}`,
      );
    }
  }
  const extra = layerMarker(layers);
  if (tensors.has(extra)) {
    throw new ModelDirError(
      `config.json says ${layersKey} ${layers} but ${file} also has ${extra}; ${mismatch}`,
    );
  }
}
