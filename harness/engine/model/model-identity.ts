import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { type ModelDir, safetensorsDescribeGraph } from '../../core/model/model-dir.ts';
import type { OnnxDtype } from '../../core/model/onnx-variants.ts';

export interface ModelIdentity {
  readonly name: string;
  /** sha256 of the `sha256sum` listing of `files` (see modelIdentity). */
  readonly sha256: string;
  /** Relative path → sha256 of each identity file, in listing order. */
  readonly files: Readonly<Record<string, string>>;
  /** The graph the ONNX backends run, as reports name it. */
  readonly graph: {
    readonly file: string;
    readonly dtype: OnnxDtype | null;
    /** Its external-data files (relative to the model dir), often none. */
    readonly externalData: readonly string[];
    /** The graph file's bytes plus its external data's. */
    readonly bytes: number;
    /** sha256 of the graph file; with external data, of the `sha256sum` listing of it and them. */
    readonly sha256: string;
  };
}

/** What a golden records of the model: enough to refuse goldens of other weights. */
export type FileIdentity = Pick<ModelIdentity, 'name' | 'sha256' | 'files'>;

/**
 * Which model (and graph) a golden, a cache entry or a report belongs to: the files that decide
 * its logits (config.json; model.safetensors where the TS kernels compute this graph from it; the
 * graph and its external-data files). Reproducible from a shell:
 * `cd DIR && sha256sum config.json model.safetensors onnx/model.onnx | sha256sum` for the plain
 * graph. The tokenizer is left out on purpose: goldens store prompt ids, so a tokenizer change
 * cannot move a check. Hashing streams (~700 MB for distilgpt2-shape: about a second).
 */
export async function modelIdentity(model: ModelDir): Promise<ModelIdentity> {
  const externalData = model.externalData.map((f) => relative(model.path, f.path).split(sep).join('/'));
  const graphFiles = [model.graph.file, ...externalData];
  const identityFiles = [
    'config.json',
    ...(safetensorsDescribeGraph(model) ? ['model.safetensors'] : []),
    ...graphFiles,
  ];
  const files: Record<string, string> = {};
  for (const file of identityFiles) files[file] = await sha256OfFile(join(model.path, file));
  const graphSha =
    externalData.length === 0 ? (files[model.graph.file] as string) : listingSha(files, graphFiles);
  return {
    name: model.name,
    sha256: listingSha(files, identityFiles),
    files,
    graph: {
      file: model.graph.file,
      dtype: model.graph.dtype,
      externalData,
      bytes: graphFiles.reduce((sum, file) => sum + statSync(join(model.path, file)).size, 0),
      sha256: graphSha,
    },
  };
}

/** sha256 of `sha256sum`'s output for `names` (two spaces, one line each). */
function listingSha(files: Readonly<Record<string, string>>, names: readonly string[]): string {
  const listing = names.map((file) => `${files[file]}  ${file}\n`).join('');
  return createHash('sha256').update(listing).digest('hex');
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
