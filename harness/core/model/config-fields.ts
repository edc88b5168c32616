import { ModelDirError } from '../errors.ts';

/**
 * Field readers shared by the config.json parsers. Each throws a ModelDirError naming the file,
 * the key and the value it found. `raw` is the parsed JSON object.
 */

/** A required positive integer. */
export function positiveInt(raw: Record<string, unknown>, key: string, file: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw new ModelDirError(
      `${file}: "${key}" must be a positive integer, got ${JSON.stringify(v)}; fix the value in ${file}`,
    );
  }
  return v;
}

/** A positive number, `fallback` when the key is absent or null (HF's default). */
export function positiveNumber(
  raw: Record<string, unknown>,
  key: string,
  fallback: number,
  file: string,
): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
    throw new ModelDirError(`${file}: ${key} must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A boolean, `fallback` when the key is absent or null; `"no"`, `0` or `"false"` are refused, not guessed at. */
export function booleanField(
  raw: Record<string, unknown>,
  key: string,
  fallback: boolean,
  file: string,
): boolean {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'boolean') {
    throw new ModelDirError(
      `${file}: ${key} must be true or false, got ${JSON.stringify(v)}; fix the value in ${file}`,
    );
  }
  return v;
}

/** A token id below `vocabSize`, `fallback` when the key is absent or null. */
export function tokenId(
  raw: Record<string, unknown>,
  key: string,
  fallback: number,
  vocabSize: number,
  file: string,
): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= vocabSize) {
    throw new ModelDirError(
      `${file}: ${key} ${JSON.stringify(v)} is not a token id below vocab_size ${vocabSize}`,
    );
  }
  return v;
}

/** The parsed config.json as an object; anything else is an error naming the file. */
export function configObject(raw: unknown, file: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ModelDirError(`${file}: expected a JSON object; regenerate or re-export the model`);
  }
  return raw as Record<string, unknown>;
}
