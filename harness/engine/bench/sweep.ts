import { UsageError } from '../../core/errors.ts';
import { maxPositions } from '../../core/model/model-config.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import type { BenchSettings, SweepPoint } from './bench-record.ts';

/**
 * The sweep: every combination of --batch, --depth and --prompt-tokens (batch outermost, prompt
 * innermost), one result row each, as llama-bench runs its parameter lists.
 *
 * Depth: llama-bench's `-d D` fills the KV cache with D tokens before the timed part. The backend
 * contract's prefill starts from an empty cache and nothing appends several tokens to a filled
 * one, so here the D depth tokens are prefilled together with the P-token prompt: a point's
 * prefill processes D + P tokens and its decode starts with D + P tokens in the cache. The tests
 * are named for exactly that, in llama-bench's terms: `pp{D+P}` (D + P tokens into an empty
 * cache) and `tg{N} @ d{D+P}` (N tokens generated with D + P already cached). llama-bench's
 * `pp{P} @ d{D}`, P tokens appended to a filled cache, cannot be timed through this contract.
 */
export function sweepPoints(
  settings: Pick<BenchSettings, 'promptTokens' | 'depths' | 'batches'>,
): SweepPoint[] {
  return settings.batches.flatMap((batch) =>
    settings.depths.flatMap((depth) =>
      settings.promptTokens.map((promptTokens) => ({
        promptTokens,
        depth,
        batch,
        contextTokens: depth + promptTokens,
      })),
    ),
  );
}

/** `pp528`: a prefill of the point's whole context into an empty cache. */
export const prefillTest = (point: SweepPoint): string => `pp${point.contextTokens}`;

/** `tg64 @ d528`: newTokens generated with the point's context already in the cache. */
export const decodeTest = (point: SweepPoint, newTokens: number): string =>
  `tg${newTokens} @ d${point.contextTokens}`;

/**
 * Two points with the same context and batch would time the same thing twice under one name
 * (`--prompt-tokens 16,528 --depth 0,512`: 528 + 0 and 16 + 512); refuse them.
 */
export function checkDistinctContexts(points: readonly SweepPoint[]): void {
  const seen = new Map<string, SweepPoint>();
  for (const p of points) {
    const key = `${p.batch} ${p.contextTokens}`;
    const before = seen.get(key);
    if (before !== undefined) {
      throw new UsageError(
        `--prompt-tokens ${before.promptTokens} at --depth ${before.depth} and --prompt-tokens ${p.promptTokens} at --depth ${p.depth} ` +
          `both make a ${p.contextTokens}-token context (depth tokens are prefilled with the prompt, so they are one test); drop one of the values`,
      );
    }
    seen.set(key, p);
  }
}

/** Every point must fit the model: depth + prompt + new tokens ≤ its positions. */
export function checkPointsFit(model: ModelDir, points: readonly SweepPoint[], newTokens: number): void {
  const positions = maxPositions(model.config);
  const longest = points.reduce((a, b) => (b.contextTokens > a.contextTokens ? b : a));
  const needed = longest.contextTokens + newTokens;
  if (needed > positions) {
    const depth = longest.depth > 0 ? `--depth ${longest.depth} + ` : '';
    throw new UsageError(
      `${depth}--prompt-tokens ${longest.promptTokens} + --new-tokens ${newTokens} = ${needed} positions, ` +
        `more than ${model.name}'s ${positions}; lower them so the largest fits`,
    );
  }
}
