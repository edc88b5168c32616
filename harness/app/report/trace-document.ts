import type { DecodeResult } from '../../engine/decode/decode-result.ts';
import type { ReportBlock, ReportDocument } from './document.ts';
import { TERMINAL_COLUMNS } from './render-text.ts';
import { tokenDocumentLines } from './token-document.ts';
import { quotedToken } from './token-text.ts';
import { beamBlocks } from './trace-beam.ts';
import { stepBlocks } from './trace-steps.ts';

/** What the trace shows besides the decode itself: names, and the tokenizer's view of ids. */
export interface TraceContext {
  readonly modelName: string;
  readonly backendId: string;
  readonly dtype: string;
  /** One token as people read it (token-text.ts tokenLabel: partial UTF-8 bytes as `<0xE2>`). */
  readonly tokenLabel: (id: number) => string;
  /** The text of a run of ids. */
  readonly decode: (ids: readonly number[]) => string;
  /** A toy distribution (trace --logits / --probs) instead of a model: its size and what was given. */
  readonly toy?: { readonly tokens: number; readonly given: 'logits' | 'probs' };
}

/**
 * `trace`: the token document fed to the model (or the toy vocabulary), the processors that ran,
 * then per step the distribution the choice read in the order a coin walks it (or the beam
 * candidates and their fates), then each sequence's continuation and total logprob.
 */
export function traceDocument(context: TraceContext, result: DecodeResult): ReportDocument {
  const quoted = (id: number) => quotedToken(context.tokenLabel(id));
  const document = (ids: readonly number[]) =>
    tokenDocumentLines(
      ids.map((id) => ({ id, label: context.tokenLabel(id) })),
      TERMINAL_COLUMNS,
      '  ',
    );
  const { toy } = context;
  const opening = toy
    ? [
        `toy vocabulary: ${toy.tokens} tokens, ids under them; no model, so every step reads the same ` +
          (toy.given === 'probs' ? 'logits, log p of the given probabilities' : 'given logits'),
        ...document(Array.from({ length: toy.tokens }, (_, id) => id)),
      ]
    : [`prompt: ${result.promptIds.length} tokens, ids under them`, ...document(result.promptIds)];
  const blocks: ReportBlock[] = [
    { kind: 'lines', unwrapped: true, lines: opening },
    ...(result.processors.length > 0
      ? [{ kind: 'lines', unwrapped: true, lines: processorLines(result) } as const]
      : []),
    ...(result.beamSteps
      ? beamBlocks(result, result.beamSteps, quoted, context.decode)
      : result.sequences.flatMap((sequence, i) =>
          stepBlocks(sequence.steps, {
            quoted,
            input: (n) => (toy ? '' : `input = prompt + ${n} generated token${n === 1 ? '' : 's'}; `),
            sequence: result.sequences.length > 1 ? `sequence ${i + 1}, ` : '',
            temperaturesAt: (n) => !toy || (i === 0 && n === 0),
          }),
        )),
    { kind: 'lines', unwrapped: true, lines: sequenceLines(context, result) },
  ];
  const subject = toy
    ? `toy distribution of ${toy.tokens} tokens (given ${toy.given})`
    : `model ${context.modelName} on ${context.backendId} (${context.dtype})`;
  return { title: `decode-harness trace: ${subject}, strategy ${result.strategy}`, blocks };
}

/** The processors that ran, in order, with their values; and where a walk is not of what they made. */
function processorLines(result: DecodeResult): string[] {
  const { config } = result;
  const named = result.processors.map(
    (name) => `${name} ${JSON.stringify(config[name as keyof typeof config])}`,
  );
  const lines = [`processors, in Hugging Face's order: ${named.join(' → ')}`];
  if (result.strategy === 'sample' && config.rng === 'mt19937') {
    lines.push(
      `  (transformers.js mode: its sampler draws from its own float32 top ${config.top_k}; the tables show the raw distribution)`,
    );
  }
  return lines;
}

function sequenceLines(context: TraceContext, result: DecodeResult): string[] {
  return result.sequences.flatMap((sequence, i) => {
    const n = sequence.tokenIds.length;
    const label = result.sequences.length > 1 ? `sequence ${i + 1}: ` : '';
    const score = sequence.score === undefined ? '' : `beam score ${sequence.score.toFixed(4)}; `;
    return [
      `${label}continuation: ${JSON.stringify(context.decode(sequence.tokenIds))}`,
      `${label}${score}total logprob ${sequence.totalLogprob.toFixed(4)} nats over ${n} tokens ` +
        `(mean ${(sequence.totalLogprob / n).toFixed(4)}, perplexity ${Math.exp(-sequence.totalLogprob / n).toFixed(3)}); ` +
        `stopped by ${sequence.finishReason}`,
    ];
  });
}
