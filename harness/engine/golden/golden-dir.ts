import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UsageError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/io/atomic-write.ts';
import type { OnnxGraphFile } from '../../core/model/model-dir.ts';
import { projectPath } from '../../core/project-root.ts';
import { assertRegularFile } from '../../core/regular-file.ts';
import { stringifyForReview } from './golden-json.ts';
import type { Golden } from './golden-schema.ts';
import { parseGolden } from './parse-golden.ts';

const GOLDEN_ROOT = projectPath('fixtures', 'golden');

/** The committed case list every model's goldens are recorded from. */
export const DEFAULT_CASE_LIST = join(GOLDEN_ROOT, 'cases.json');

/**
 * fixtures/golden/<model name>/ for the model's plain graph, fixtures/golden/<model name>/<dtype>/
 * for a variant (…/q4/), …/<file stem>/ for a graph given by --onnx: one directory per graph, one
 * file per case.
 */
export function defaultGoldenDir(modelName: string, graph?: OnnxGraphFile): string {
  if (graph === undefined || graph.dtype === 'fp32') return join(GOLDEN_ROOT, modelName);
  return join(GOLDEN_ROOT, modelName, graph.dtype ?? basename(graph.file, '.onnx'));
}

export function goldenPath(dir: string, id: string): string {
  return join(dir, `${id}.json`);
}

/** A golden and the file it came from (messages name the file). */
export interface GoldenFile {
  readonly file: string;
  readonly golden: Golden;
}

export function readGoldenFile(file: string): GoldenFile {
  let raw: unknown;
  assertRegularFile(file, 'golden', 'restore it from git or re-record it with `decode-harness record --yes`');
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `${file}: ${error instanceof Error ? error.message : String(error)}; restore it from git or re-record it with \`decode-harness record --yes\``,
    );
  }
  const golden = parseGolden(raw, file);
  const expectedName = `${golden.id}.json`;
  if (!file.endsWith(expectedName)) {
    throw new UsageError(
      `${file}: id ${JSON.stringify(golden.id)} does not match the file name; rename it to ${expectedName}`,
    );
  }
  return { file, golden };
}

/** Every *.json golden of a directory, sorted by file name; the directory must hold at least one. */
export function readGoldenDir(dir: string, modelName: string): GoldenFile[] {
  const record = `record them with \`decode-harness record --model ${modelName}\` or pass --golden DIR`;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`golden dir ${dir} does not exist; ${record}`);
  }
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new UsageError(`golden dir ${dir} holds no *.json goldens; ${record}`);
  return files.map((name) => readGoldenFile(join(dir, name)));
}

/** Atomically (temp file + rename), so a reader never sees half a golden. */
export function writeGoldenFile(dir: string, golden: Golden): string {
  const file = goldenPath(dir, golden.id);
  writeFileAtomic(file, `${stringifyForReview(golden)}\n`);
  return file;
}
