import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ModelDirError } from '../../core/errors.ts';
import type { ExternalDataFile } from '../../core/onnx/external-data.ts';

/** transformers.js's MAX_EXTERNAL_DATA_CHUNKS. */
const MAX_CHUNKS = 100;

/**
 * The external-data chunk files config.json's `transformers.js_config.use_external_data_format`
 * declares for the graph at `graphPath`, resolved as transformers.js resolves it: a bool or a chunk
 * count for every graph, or a map keyed by the graph's file name (`model_q4.onnx`) or its base name
 * (`model`); chunk i is `<file>_data` for i = 0, `<file>_data_<i>` after.
 */
export function declaredChunks(graphPath: string, baseName: string, transformersJsConfig: unknown): string[] {
  const format = (transformersJsConfig as { use_external_data_format?: unknown } | undefined)
    ?.use_external_data_format;
  if (format === undefined || format === false) return [];
  const fileName = basename(graphPath);
  const where = 'config.json transformers.js_config.use_external_data_format';
  let value: unknown = format;
  if (typeof format === 'object' && format !== null && !Array.isArray(format)) {
    const map = format as Record<string, unknown>;
    value = Object.hasOwn(map, fileName)
      ? map[fileName]
      : Object.hasOwn(map, baseName)
        ? map[baseName]
        : false;
  }
  const chunks = value === true ? 1 : value === false ? 0 : value;
  if (typeof chunks !== 'number' || !Number.isInteger(chunks) || chunks < 0 || chunks > MAX_CHUNKS) {
    throw new ModelDirError(
      `${where} is ${JSON.stringify(format)}: for ${fileName} expected true, false or a chunk count 0..${MAX_CHUNKS}; fix config.json`,
    );
  }
  return Array.from({ length: chunks }, (_, i) => `${fileName}_data${i === 0 ? '' : `_${i}`}`);
}

/**
 * Check config.json's declared chunks against what the graph reads: every declared chunk must be
 * there (transformers.js fetches each), and the graph may read no file the config leaves out (a
 * browser loader would not fetch it). A config that declares nothing accepts any complete set.
 */
export function checkDeclaredExternalData(
  graphPath: string,
  baseName: string,
  transformersJsConfig: unknown,
  read: readonly ExternalDataFile[],
): void {
  const declared = declaredChunks(graphPath, baseName, transformersJsConfig);
  if (declared.length === 0) return;
  const where = 'config.json transformers.js_config.use_external_data_format';
  for (const chunk of declared) {
    const path = join(dirname(graphPath), chunk);
    if (!existsSync(path)) {
      throw new ModelDirError(
        `${path} is missing: ${where} declares ${declared.length} chunk(s) for ${basename(graphPath)}; ` +
          're-download the model, or fix the chunk count in config.json',
      );
    }
  }
  const undeclared = read.filter((file) => !declared.includes(file.location));
  if (undeclared.length > 0) {
    throw new ModelDirError(
      `${graphPath} reads ${undeclared.map((f) => f.location).join(', ')}, which ${where} does not declare ` +
        `(it declares ${declared.join(', ')}); fix the chunk count in config.json`,
    );
  }
}
