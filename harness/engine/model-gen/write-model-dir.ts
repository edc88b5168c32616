import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { escapeRegExp, removeLeftovers } from '../../core/leftovers.ts';

/** Relative path → file bytes, in the Hugging Face layout transformers.js reads. */
export type ModelDirFiles = ReadonlyMap<string, Uint8Array>;

/**
 * Relative path → a function that makes the file's bytes: a writer makes and writes one file at a
 * time, so a model of hundreds of MB never holds its safetensors and ONNX bytes at once.
 */
export type LazyModelDirFiles = ReadonlyMap<string, () => Uint8Array>;

/** Make every file's bytes (small models: manifests hash them all). */
export function materialise(files: LazyModelDirFiles): ModelDirFiles {
  return new Map([...files].map(([path, make]) => [path, make()]));
}

/** A JSON file as Hugging Face's save_pretrained writes it: two-space indent, trailing newline. */
export function jsonFile(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Write `files` into `dir` atomically: build a sibling `<dir>.tmp-<pid>-<id>`, then rename it into
 * place, so no reader ever sees a half-written model. If `dir` already exists (another process
 * won the race) nothing is replaced and the result is 'exists': the caller should verify that one.
 */
export async function writeModelDirAtomically(
  dir: string,
  files: ModelDirFiles | LazyModelDirFiles,
): Promise<'written' | 'exists'> {
  const tmp = `${dir}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  // Half-built models of runs killed mid-build (tens of MB each): never a complete-looking model,
  // since only a finished build is renamed to `dir`.
  removeLeftovers(dirname(dir), new RegExp(`^${escapeRegExp(basename(dir))}\\.tmp-(\\d+)-`));
  try {
    for (const [relative, bytes] of files) {
      const path = join(tmp, relative);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, typeof bytes === 'function' ? bytes() : bytes);
    }
    await mkdir(dirname(dir), { recursive: true });
    try {
      await rename(tmp, dir);
    } catch (e) {
      // rename(2) refuses to replace a non-empty directory: someone else finished first.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return 'exists';
      throw e;
    }
    return 'written';
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
