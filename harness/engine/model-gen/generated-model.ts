import type { FamilyName } from '../../core/model/families/model-family.ts';
import { roundToFloat16 } from '../../core/model/float16.ts';
import type { FamilyConfigs } from '../../core/model/model-config.ts';
import type { F32Tensor } from '../../core/model/safetensors.ts';
import { FAMILY_WRITERS, type FamilyScales, type FamilyWriter } from './family-writers.ts';
import { float16ModelDirFiles } from './float16-model-dir.ts';
import { asRepository, type RepositoryLayout } from './layouts/repository-layout.ts';
import { type QuantizedDtype, withQuantizedVariants } from './quantize/quantized-variants.ts';
import type { LazyModelDirFiles } from './write-model-dir.ts';

/** A model the project generates from a seed: its architecture, PRNG seed and weight scales. */
export type GeneratedModel = {
  readonly [N in FamilyName]: {
    readonly family: N;
    readonly config: FamilyConfigs[N];
    /** uint32 seed of the integer PRNG. */
    readonly seed: number;
    readonly scales: FamilyScales[N];
  };
}[FamilyName] & {
  /** Storage and compute dtype of the files; float32 when absent. */
  readonly dtype?: 'float16';
  /** Quantized graphs beside onnx/model.onnx (onnx/model_q4.onnx, …), as model repositories ship them. */
  readonly variants?: readonly QuantizedDtype[];
  /** Laid out as a downloaded repository (ONNX-only); the project's own layout when absent. */
  readonly repository?: RepositoryLayout;
};

/**
 * Generate the weights now and return every file of the model dir, each made when asked (so a
 * writer holds one large file at a time). Deterministic: the same model gives the same bytes.
 */
export function generatedModelFiles(model: GeneratedModel): LazyModelDirFiles {
  // The entry for model.family takes that family's config and scales, which the union pairs with it.
  const writer = FAMILY_WRITERS[model.family] as FamilyWriter<
    GeneratedModel['config'],
    GeneratedModel['scales']
  >;
  const raw = writer.generateWeights(model.config, model.seed, model.scales);
  // A float16 model is the float32 one with every weight rounded to float16 first.
  const weights =
    model.dtype === 'float16'
      ? new Map([...raw].map(([name, t]) => [name, { ...t, data: roundToFloat16(t.data) }]))
      : raw;
  const files = writer.modelDirFiles(model.config, weights);
  const float16 =
    model.dtype === 'float16' ? float16ModelDirFiles(files, weights, writer.safetensorsName) : files;
  const typed =
    model.repository === 'onnxruntime-genai' ? withGroupQueryGraph(float16, writer, model, weights) : float16;
  const withVariants = model.variants === undefined ? typed : withQuantizedVariants(typed, model.variants);
  return model.repository === undefined ? withVariants : asRepository(withVariants, model.repository);
}

/** onnx/model.onnx written as onnxruntime-genai's model builder writes it, before any variant is made from it. */
function withGroupQueryGraph(
  files: LazyModelDirFiles,
  writer: FamilyWriter<GeneratedModel['config'], GeneratedModel['scales']>,
  model: GeneratedModel,
  weights: ReadonlyMap<string, F32Tensor>,
): LazyModelDirFiles {
  const build = writer.groupQueryGraph;
  if (build === undefined)
    throw new Error(`onnxruntime-genai's builder exports no ${model.family} graph here`);
  return new Map([...files, ['onnx/model.onnx', () => build(model.config, weights)]]);
}
