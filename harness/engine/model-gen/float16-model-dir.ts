import { toFloat16Bits } from '../../core/model/float16.ts';
import { encodeSafetensors, type F32Tensor } from '../../core/model/safetensors.ts';
import { onnxToFloat16 } from './onnx-to-float16.ts';
import { jsonFile, type LazyModelDirFiles } from './write-model-dir.ts';

/**
 * The float16 variant of a generated model dir. `files` must have been made from `weights`
 * already rounded to float16 (roundToFloat16), so model.safetensors (F16) and the float16 ONNX
 * graph hold the very same numbers, and the float64 reference, reading the F16 file, computes the
 * half-precision model exactly: any difference a backend shows is its float16 arithmetic.
 */
export function float16ModelDirFiles(
  files: LazyModelDirFiles,
  weights: ReadonlyMap<string, F32Tensor>,
  safetensorsName: (name: string) => string,
): LazyModelDirFiles {
  const out = new Map(files);
  const config = files.get('config.json')!;
  out.set('config.json', () => {
    const json = JSON.parse(new TextDecoder().decode(config())) as Record<string, unknown>;
    return jsonFile({ ...json, torch_dtype: 'float16' });
  });
  out.set('model.safetensors', () =>
    encodeSafetensors(
      [...weights].map(([name, t]) => ({
        name: safetensorsName(name),
        dtype: 'F16' as const,
        shape: t.shape,
        data: toFloat16Bits(t.data),
      })),
    ),
  );
  const onnx = files.get('onnx/model.onnx')!;
  out.set('onnx/model.onnx', () => onnxToFloat16(onnx()));
  return out;
}
