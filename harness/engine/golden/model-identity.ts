import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelDir } from '../../core/model/model-dir.ts';

/** The files that decide a model's logits (ONNX for ORT backends, safetensors for the TS kernels). */
const IDENTITY_FILES = ['config.json', 'model.safetensors', 'onnx/model.onnx'] as const;

export interface ModelIdentity {
  readonly name: string;
  /** sha256 of the `sha256sum` listing of `files` (see modelIdentity). */
  readonly sha256: string;
  /** Relative path → sha256 of each identity file present. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Which model a golden belongs to. The identity is reproducible from a shell:
 * `cd DIR && sha256sum config.json model.safetensors onnx/model.onnx | sha256sum`. The tokenizer is
 * left out on purpose: goldens store prompt ids, so a tokenizer change cannot move a check.
 */
export async function modelIdentity(model: ModelDir): Promise<ModelIdentity> {
  const files: Record<string, string> = {};
  for (const file of IDENTITY_FILES) {
    const path = join(model.path, file);
    if (existsSync(path))
      files[file] = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
  }
  const listing = Object.entries(files)
    .map(([file, sha]) => `${sha}  ${file}\n`)
    .join('');
  return { name: model.name, sha256: createHash('sha256').update(listing).digest('hex'), files };
}
