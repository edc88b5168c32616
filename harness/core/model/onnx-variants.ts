/**
 * The graph variants a model repository may ship, by transformers.js's dtype names: each dtype is a
 * file-name suffix on the graph's base name (`onnx/model_q4f16.onnx` is `model` at q4f16).
 * transformers.js reads `onnx/`; Optimum also writes the graph at the directory root and names a
 * merged decoder `decoder_model_merged`.
 */
export const ONNX_DTYPE_SUFFIXES = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;

export type OnnxDtype = keyof typeof ONNX_DTYPE_SUFFIXES;

export const ONNX_DTYPES = Object.keys(ONNX_DTYPE_SUFFIXES) as readonly OnnxDtype[];

export function isOnnxDtype(text: string): text is OnnxDtype {
  return Object.hasOwn(ONNX_DTYPE_SUFFIXES, text);
}

/** Graph base names a decoder may be stored under, in the order they are looked for. */
export const DECODER_BASE_NAMES = ['model', 'decoder_model_merged'] as const;

/** Folders (relative to the model dir) a graph may sit in, in the order they are looked for. */
export const GRAPH_FOLDERS = ['onnx', '.'] as const;

/** `onnx/model_q4.onnx` for (`onnx`, `model`, q4); `model.onnx` for (`.`, `model`, fp32). */
export function variantFileName(folder: string, baseName: string, dtype: OnnxDtype): string {
  const file = `${baseName}${ONNX_DTYPE_SUFFIXES[dtype]}.onnx`;
  return folder === '.' ? file : `${folder}/${file}`;
}

/** The dtype a graph file's name says (`model_q4f16.onnx` → q4f16), or null for any other name. */
export function dtypeOfFileName(fileName: string): OnnxDtype | null {
  const stem = fileName.replace(/^.*\//, '').replace(/\.onnx$/, '');
  for (const base of DECODER_BASE_NAMES) {
    if (!stem.startsWith(base)) continue;
    const suffix = stem.slice(base.length);
    const dtype = ONNX_DTYPES.find((d) => ONNX_DTYPE_SUFFIXES[d] === suffix);
    if (dtype !== undefined) return dtype;
  }
  return null;
}

/** The base name of a graph file: its stem without the dtype suffix (`onnx/model_q4.onnx`, q4 → `model`). */
export function graphBaseName(file: string, dtype: OnnxDtype | null): string {
  const stem = file.replace(/^.*\//, '').replace(/\.onnx$/, '');
  const suffix = dtype === null ? '' : ONNX_DTYPE_SUFFIXES[dtype];
  return suffix !== '' && stem.endsWith(suffix) ? stem.slice(0, -suffix.length) : stem;
}
