import { LOGIT_TOLERANCE } from '../conformance/tolerances.ts';
import type { Golden } from './golden-schema.ts';

/**
 * Numbers closer than this are the same recording: the reference's own float64 noise (a summation
 * order, a libm ulp). A re-recording that moves nothing more keeps the committed file untouched.
 */
const SAME_NUMBER = LOGIT_TOLERANCE.float64;
/** Differences listed per case before the rest are counted. */
const MAX_LINES = 8;

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** `expected.sequences.0.steps.3.id` → `sequence 0 step 3 id`, the way a person reads a golden. */
function readable(path: string): string {
  return path
    .replace(/^expected\.sequences\.(\d+)\.steps\.(\d+)\./, 'sequence $1 step $2 ')
    .replace(/^expected\.sequences\.(\d+)\./, 'sequence $1 ');
}

interface StepLike {
  readonly id: number;
  readonly logprob: number;
}

const token = (step: StepLike | undefined) => (step ? `${step.id} (logprob ${step.logprob})` : '(ended)');

function show(value: Json | undefined): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function walk(a: Json | undefined, b: Json | undefined, path: string, out: string[]): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (!(Math.abs(a - b) <= SAME_NUMBER)) out.push(`${readable(path)}: ${a} → ${b}`);
    return;
  }
  const container = (x: Json | undefined) => typeof x === 'object' && x !== null;
  if (!container(a) || !container(b) || Array.isArray(a) !== Array.isArray(b)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${readable(path)}: ${show(a)} → ${show(b)}`);
    return;
  }
  // Steps after a changed token follow another path: report the token and skip the consequences.
  if (/^expected\.sequences\.\d+\.steps$/.test(path) && Array.isArray(a) && Array.isArray(b)) {
    for (let n = 0; n < Math.max(a.length, b.length); n++) {
      const [x, y] = [a[n] as StepLike | undefined, b[n] as StepLike | undefined];
      if (x?.id !== y?.id) {
        out.push(
          `${readable(`${path}.${n}.`).trim()}: token ${token(x)} → ${token(y)}; later steps follow the new path`,
        );
        return;
      }
      walk(a[n], b[n], `${path}.${n}`, out);
    }
    return;
  }
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  for (const key of keys) {
    walk(
      (a as Record<string, Json>)[key],
      (b as Record<string, Json>)[key],
      path ? `${path}.${key}` : key,
      out,
    );
  }
}

/**
 * What changed between a committed golden and a fresh recording of the same case, one line per
 * difference, provenance (date, commit, command) ignored. Empty when the recording is the same.
 */
export function diffGolden(old: Golden, fresh: Golden): string[] {
  const strip = ({ provenance: _, ...rest }: Golden) => rest as unknown as Json;
  const lines: string[] = [];
  walk(strip(old), strip(fresh), '', lines);
  if (lines.length <= MAX_LINES) return lines;
  return [...lines.slice(0, MAX_LINES), `... and ${lines.length - MAX_LINES} more differences`];
}
