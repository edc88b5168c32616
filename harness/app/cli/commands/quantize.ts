import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { writeFileAtomic, writeFilesAtomic } from '../../../core/io/atomic-write.ts';
import { checkOutputDir } from '../../../core/io/output-paths.ts';
import { variantFileName } from '../../../core/model/onnx-variants.ts';
import { MODEL_DIR_FILES } from '../../../engine/model/read-model-dir.ts';
import { sha256Hex } from '../../../engine/model-gen/embedded-models.ts';
import { inlineExternalData } from '../../../engine/model-gen/layouts/external-data.ts';
import { isGeneratedModelName, loadModelDir } from '../../../engine/model-gen/load-model-dir.ts';
import {
  BLOCKED_DTYPES,
  isQuantizedDtype,
  QUANTIZED_DTYPES,
  QUANTIZERS,
} from '../../../engine/model-gen/quantize/quantized-variants.ts';
import { COMMON_OPTIONS, intOption, parseCommandArgs, requireOption } from '../args.ts';

const HELP = `decode-harness quantize --model DIR|NAME --dtype ${QUANTIZED_DTYPES.join('|')} [--block-size N] [--out DIR] [--yes]
Write a quantized variant of the model's fp32 graph (onnx/model.onnx) under transformers.js's name
(q8 → onnx/model_quantized.onnx, q4 → onnx/model_q4.onnx, q4f16 → onnx/model_q4f16.onnx), so every
command can run it with --dtype. Only weight MatMuls are quantized (also one fed by a Transpose);
embeddings (Gather) stay float.
  q8      DynamicQuantizeLinear + MatMulInteger, int8 symmetric weights per tensor (onnxruntime's
          quantize_dynamic); activations are quantized at run time, one scale per tensor
  q4      com.microsoft MatMulNBits, 4-bit asymmetric blocks (onnxruntime's MatMulNBitsQuantizer)
  q4f16   q4 in a float16 graph (weights, activations, KV cache and logits float16)
  --block-size N   q4/q4f16 weights per scale: a power of two ≥ 16 (default 32)
  --out DIR        the dir to write into (default: the model's own; required for generated models,
                   whose files are verified against a manifest); config.json, generation_config.json
                   and the tokenizer files are copied there, so it is an ONNX-only model dir
  --yes            replace the variant file if it exists`;

export async function runQuantize(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('quantize', argv, {
    ...COMMON_OPTIONS,
    model: { type: 'string' },
    dtype: { type: 'string' },
    'block-size': { type: 'string' },
    out: { type: 'string' },
    yes: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const modelArg = requireOption('quantize', 'model', values.model);
  const dtype = requireOption('quantize', 'dtype', values.dtype);
  if (!isQuantizedDtype(dtype)) {
    throw new UsageError(
      `--dtype ${JSON.stringify(dtype)} is not one the quantizer makes; pass one of ${QUANTIZED_DTYPES.join(', ')}`,
    );
  }
  if (values['block-size'] !== undefined && !BLOCKED_DTYPES.includes(dtype)) {
    throw new UsageError(
      `--block-size applies to ${BLOCKED_DTYPES.join(' and ')}, not ${dtype} (per-tensor weights); drop it`,
    );
  }
  const blockSize = intOption('block-size', values['block-size'], 32, 16, 4096);
  if ((blockSize & (blockSize - 1)) !== 0) {
    throw new UsageError(`--block-size ${blockSize} is not a power of two; pass 16, 32, 64, 128, …`);
  }
  if (isGeneratedModelName(modelArg) && values.out === undefined) {
    throw new UsageError(
      `--model ${modelArg} is generated and verified against its manifest; pass --out DIR to write the variant elsewhere`,
    );
  }
  const model = await loadModelDir(modelArg, { dtype: 'fp32' });
  const outDir = checkOutputDir('--out', values.out ?? model.path);
  const file = variantFileName('onnx', 'model', dtype);
  const target = join(outDir, file);
  if (existsSync(target) && !values.yes) {
    throw new UsageError(`${target} exists; pass --yes to replace it, or --out another dir`);
  }

  // Into another dir: the files beside the graph come along, so the dir is a model dir of its own.
  const companions = outDir === model.path ? {} : companionFiles(model.path, outDir);

  const t0 = performance.now();
  // The quantizers rewrite raw_data; a graph with external data is read back whole first.
  const fp32 = inlineExternalData(
    readFileSync(model.onnxPath),
    new Map(model.externalData.map((f) => [f.location, readFileSync(f.path)])),
  );
  const bytes = QUANTIZERS[dtype](fp32, { blockSize });
  writeFilesAtomic(outDir, companions);
  writeFileAtomic(target, bytes);
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(
    `${relative(process.cwd(), target) || target}: ${dtype} from ${model.graph.file}, ${bytes.byteLength} bytes ` +
      `(fp32 ${fp32.byteLength}), sha256 ${sha256Hex(bytes)}, ${seconds} s\n` +
      `run it with: decode-harness --model ${outDir === model.path ? modelArg : outDir} --dtype ${dtype}\n`,
  );
  return 0;
}

/** The files a model dir needs besides its graphs; one already in `outDir` must be identical. */
function companionFiles(modelDir: string, outDir: string): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (const name of MODEL_DIR_FILES) {
    const bytes = readFileSync(join(modelDir, name));
    const existing = join(outDir, name);
    if (existsSync(existing) && !readFileSync(existing).equals(bytes)) {
      throw new UsageError(
        `--out ${outDir} holds another ${name} than ${modelDir}'s; give an empty dir or the model's own`,
      );
    }
    files[name] = bytes;
  }
  return files;
}
