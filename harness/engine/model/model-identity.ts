import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
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
    /** The graph file's bytes. */
    readonly bytes: number;
    readonly sha256: string;
  };
}

/** What a golden records of the model: enough to refuse goldens of other weights. */
export type FileIdentity = Pick<ModelIdentity, 'name' | 'sha256' | 'files'>;

/**
 * Which model (and graph) a golden, a cache entry or a report belongs to: the files that decide
 * its logits (config.json; model.safetensors where the TS kernels compute this graph from it; the
 * graph). Reproducible from a shell:
 * `cd DIR && sha256sum config.json model.safetensors onnx/model.onnx | sha256sum` for the plain
 * graph. The tokenizer is left out on purpose: goldens store prompt ids, so a tokenizer change
 * cannot move a check. Hashing streams (~700 MB for distilgpt2-shape: about a second).
 */
export async function modelIdentity(model: ModelDir): Promise<ModelIdentity> {
  const identityFiles = [
    'config.json',
    ...(safetensorsDescribeGraph(model) ? ['model.safetensors'] : []),
    model.graph.file,
  ];
  const files: Record<string, string> = {};
  for (const file of identityFiles) files[file] = await sha256OfFile(join(model.path, file));
  const listing = Object.entries(files)
    .map(([file, sha]) => `${sha}  ${file}\n`)
    .join('');
  return {
    name: model.name,
    sha256: createHash('sha256').update(listing).digest('hex'),
    files,
    graph: {
      file: model.graph.file,
      dtype: model.graph.dtype,
      bytes: statSync(model.onnxPath).size,
      sha256: files[model.graph.file] as string,
    },
  };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
