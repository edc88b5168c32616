/** Longest object kept on one line; a golden step (id, logprob, top-5) fits, a config does not. */
const INLINE_OBJECT_MAX = 240;

/** True when an object (not an array) occurs anywhere inside `value`. */
function holdsObject(value: unknown): boolean {
  const children = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null
      ? Object.values(value)
      : [];
  return children.some((x) => typeof x === 'object' && x !== null && (!Array.isArray(x) || holdsObject(x)));
}

/**
 * JSON laid out for review: a structure that holds no objects (a step, a top-k list, a config of
 * moderate size) stays on one line, everything else is indented, so a re-recording's `git diff`
 * shows one changed line per changed step. Parses back to exactly the same value as JSON.stringify.
 */
export function stringifyForReview(value: unknown, indent = ''): string {
  const inline = JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return inline;
  if (!holdsObject(value) && (Array.isArray(value) || inline.length <= INLINE_OBJECT_MAX)) return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((x) => inner + stringifyForReview(x, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${stringifyForReview(x, inner)}`).join(',\n')}\n${indent}}`;
}
