import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ModelDirError, UsageError } from '../../core/errors.ts';
import type { OnnxGraphFile } from '../../core/model/model-dir.ts';
import {
  DECODER_BASE_NAMES,
  dtypeOfFileName,
  GRAPH_FOLDERS,
  isOnnxDtype,
  ONNX_DTYPES,
  type OnnxDtype,
  variantFileName,
} from '../../core/model/onnx-variants.ts';
import { assertRegularFile } from '../../core/regular-file.ts';

/** Which graph of a model dir to run: `--dtype` names a variant, `--onnx` any graph file. */
export interface GraphChoice {
  readonly dtype?: string | undefined;
  readonly onnx?: string | undefined;
}

const EXPORT_ADVICE =
  'export with `optimum-cli export onnx --task text-generation-with-past --model <model> <out>` ' +
  'and move model.onnx into onnx/';

/** Every decoder graph in `dir`, one per dtype (the first found in GRAPH_FOLDERS × DECODER_BASE_NAMES order). */
export function listGraphVariants(dir: string): OnnxGraphFile[] {
  const found: OnnxGraphFile[] = [];
  for (const dtype of ONNX_DTYPES) {
    const file = variantFile(dir, dtype);
    if (file !== undefined) found.push({ file, dtype });
  }
  return found;
}

function variantFile(dir: string, dtype: OnnxDtype): string | undefined {
  for (const folder of GRAPH_FOLDERS) {
    for (const base of DECODER_BASE_NAMES) {
      const file = variantFileName(folder, base, dtype);
      if (existsSync(join(dir, file))) return file;
    }
  }
  return undefined;
}

/**
 * The graph to run: `--onnx FILE` (a path inside the model dir, relative to it or to the working
 * directory), else `--dtype`, else config.json's `transformers.js_config.dtype`, else fp32.
 */
export function selectGraph(
  dir: string,
  variants: readonly OnnxGraphFile[],
  transformersJsConfig: unknown,
  choice: GraphChoice,
): OnnxGraphFile {
  if (choice.onnx !== undefined && choice.dtype !== undefined) {
    throw new UsageError('--onnx and --dtype both choose the graph; pass one of them');
  }
  const graph =
    choice.onnx !== undefined
      ? explicitGraph(dir, choice.onnx)
      : variantGraph(dir, variants, transformersJsConfig, choice.dtype);
  assertRegularFile(join(dir, graph.file), 'model graph', EXPORT_ADVICE, ModelDirError);
  return graph;
}

function explicitGraph(dir: string, onnx: string): OnnxGraphFile {
  const inDir = join(dir, onnx);
  const path = !isAbsolute(onnx) && existsSync(inDir) ? inDir : resolve(onnx);
  if (!existsSync(path)) {
    throw new UsageError(`--onnx ${JSON.stringify(onnx)}: no such file in ${dir} or the working directory`);
  }
  const file = relative(dir, path);
  if (file.startsWith('..') || isAbsolute(file)) {
    throw new UsageError(
      `--onnx ${JSON.stringify(onnx)} is outside the model dir ${dir}; copy it (and its external data) into the directory`,
    );
  }
  const posix = file.split(sep).join('/');
  return { file: posix, dtype: dtypeOfFileName(posix) };
}

function variantGraph(
  dir: string,
  variants: readonly OnnxGraphFile[],
  transformersJsConfig: unknown,
  dtypeFlag: string | undefined,
): OnnxGraphFile {
  const present = variants.map((v) => `${v.dtype} (${v.file})`).join(', ') || 'none';
  let dtype: OnnxDtype;
  let source: string;
  if (dtypeFlag !== undefined) {
    if (!isOnnxDtype(dtypeFlag)) {
      throw new UsageError(
        `--dtype ${JSON.stringify(dtypeFlag)} is not a graph dtype; pass one of ${ONNX_DTYPES.join(', ')} (present here: ${present})`,
      );
    }
    dtype = dtypeFlag;
    source = `--dtype ${dtype}`;
  } else {
    const configured = configuredDtype(dir, transformersJsConfig);
    dtype = configured ?? 'fp32';
    source =
      configured === undefined
        ? 'the default dtype fp32'
        : `config.json's transformers.js_config.dtype ${dtype}`;
  }
  const graph = variants.find((v) => v.dtype === dtype);
  if (graph === undefined) {
    if (variants.length === 0) {
      throw new ModelDirError(
        `model dir ${dir} holds no decoder graph (looked for onnx/model.onnx and its variants); ${EXPORT_ADVICE}`,
      );
    }
    // Asked for by --dtype: bad usage; by the config or the default: the dir does not hold what it says.
    const ErrorClass = dtypeFlag === undefined ? ModelDirError : UsageError;
    throw new ErrorClass(
      `${source}: model dir ${dir} has no ${variantFileName('onnx', 'model', dtype)}; variants present: ${present}; pass --dtype with one of them`,
    );
  }
  return graph;
}

/**
 * config.json's `transformers.js_config.dtype`: a dtype for every graph, or a map from graph base
 * name to dtype. Every file a map names must exist; the decoder's entry is the default here.
 */
function configuredDtype(dir: string, transformersJsConfig: unknown): OnnxDtype | undefined {
  if (typeof transformersJsConfig !== 'object' || transformersJsConfig === null) return undefined;
  const dtype = (transformersJsConfig as Record<string, unknown>).dtype;
  const where = `${join(dir, 'config.json')} transformers.js_config.dtype`;
  const checked = (value: unknown, key: string): OnnxDtype => {
    if (typeof value !== 'string' || !isOnnxDtype(value)) {
      throw new ModelDirError(
        `${where}${key}: ${JSON.stringify(value)} is not one of ${ONNX_DTYPES.join(', ')}; fix config.json`,
      );
    }
    return value;
  };
  if (dtype === undefined) return undefined;
  if (typeof dtype === 'string') return checked(dtype, '');
  if (typeof dtype !== 'object' || dtype === null || Array.isArray(dtype)) {
    throw new ModelDirError(`${where}: expected a dtype or a map from graph name to dtype; fix config.json`);
  }
  let decoderDtype: OnnxDtype | undefined;
  for (const [baseName, value] of Object.entries(dtype)) {
    const d = checked(value, `.${baseName}`);
    const file = variantFileName('onnx', baseName, d);
    if (!existsSync(join(dir, file))) {
      throw new ModelDirError(
        `${where}.${baseName} is ${d} but ${join(dir, file)} does not exist; add the file or fix the map`,
      );
    }
    if ((DECODER_BASE_NAMES as readonly string[]).includes(baseName)) decoderDtype ??= d;
  }
  return decoderDtype;
}

/** The flags that choose `graph` again (`--dtype q4`), for advice lines; none for the plain graph. */
export function graphFlags(graph: OnnxGraphFile): string {
  if (graph.dtype === 'fp32') return '';
  return graph.dtype === null ? ` --onnx ${graph.file}` : ` --dtype ${graph.dtype}`;
}
