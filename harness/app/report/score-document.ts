import type { ContinuationTokens } from '../../engine/score/continuation-tokens.ts';
import type { ContinuationScore } from '../../engine/score/score-continuation.ts';
import { num } from './cells.ts';
import type { ReportBlock, ReportDocument } from './document.ts';
import { TERMINAL_COLUMNS } from './render-text.ts';
import { tokenDocumentLines } from './token-document.ts';
import { documentText, quotedToken } from './token-text.ts';

/** What the score report shows besides the numbers: names, the tokenizer's view, the prompt's source. */
export interface ScoreContext {
  readonly modelName: string;
  readonly backendId: string;
  readonly dtype: string;
  /** One token as people read it (token-text.ts tokenLabel). */
  readonly tokenLabel: (id: number) => string;
  /** `chat.json, 2 messages, add_generation_prompt true` when the prompt came from --chat. */
  readonly chat?: string;
  /** The prompt's text ends in whitespace (a boundary note suggests moving it). */
  readonly promptEndsInSpace: boolean;
  readonly tokenization: ContinuationTokens;
}

/** A probability: four decimals, or three digits of mantissa below 0.0001 (which would print as 0.0000). */
const prob = (p: number) => (p >= 1e-4 ? num(p, 4) : num(p, 2, { notation: 'exp' }));

/** A perplexity: three decimals, or three digits of mantissa from a million up. */
const perplexityText = (x: number) => (x < 1e6 ? x.toFixed(3) : x.toExponential(3));

/** How many ids of each side a boundary note shows. */
const BOUNDARY_IDS = 4;

/**
 * `score`: the prompt and continuation as token documents, how the continuation was tokenised,
 * then per continuation token its logprob, probability, rank and the model's own top choice there,
 * and the totals: sum of logprobs, mean negative log-likelihood (HF's loss) and perplexity.
 */
export function scoreDocument(context: ScoreContext, score: ContinuationScore): ReportDocument {
  const label = context.tokenLabel;
  const quoted = (id: number) => quotedToken(label(id));
  const document = (ids: readonly number[]) =>
    tokenDocumentLines(
      ids.map((id) => ({ id, label: label(id) })),
      TERMINAL_COLUMNS,
      '  ',
    );
  const n = score.tokens.length;
  const blocks: ReportBlock[] = [
    {
      kind: 'lines',
      unwrapped: true,
      lines: [
        ...(context.chat ? [`prompt from --chat ${context.chat}, through the model's chat template`] : []),
        `prompt: ${score.promptIds.length} tokens, ids under them`,
        ...document(score.promptIds),
        `continuation: ${n} tokens, ids under them`,
        ...document(score.continuationIds),
        ...tokenizationLines(context, score),
      ],
    },
    {
      kind: 'table',
      header: ['#', 'id', 'token', 'logprob', 'prob', 'rank', "model's top", 'its prob'],
      rows: score.tokens.map((t, i) => {
        const [topId, topLogprob] = t.top[0]!;
        return [
          num(i + 1, 0),
          num(t.id, 0),
          quoted(t.id),
          num(t.logprob, 4, { unit: 'nats' }),
          prob(Math.exp(t.logprob)),
          num(t.rank!, 0),
          topId === t.id ? '(this token)' : quoted(topId),
          prob(Math.exp(topLogprob)),
        ];
      }),
    },
    {
      kind: 'lines',
      unwrapped: true,
      lines: [
        `total logprob ${score.totalLogprob.toFixed(4)} nats over ${n} token${n === 1 ? '' : 's'}: ` +
          `log P(continuation | prompt) = sum of the logprobs`,
        `mean NLL ${score.meanNll.toFixed(4)} nats per token (−total / ${n}: Hugging Face's loss); ` +
          `perplexity exp(mean NLL) = ${perplexityText(score.perplexity)}`,
        'each logprob: log-softmax of the raw logits in float64, no processors, teacher-forced ' +
          "(HF's compute_transition_scores(..., normalize_logits=True) on this forced path); rank 1 = the model's top token",
      ],
    },
  ];
  return {
    title: `decode-harness score: model ${context.modelName} on ${context.backendId} (${context.dtype})`,
    blocks,
  };
}

function tokenizationLines(context: ScoreContext, score: ContinuationScore): string[] {
  const method =
    "tokenization: prompt and continuation encoded separately, ids appended to the prompt's (as generate does)";
  const { differsAt, ids: joint } = context.tokenization.joint;
  if (differsAt === null) return [`${method}; encoding them as one text gives the same ids`];
  const separate = [...score.promptIds, ...score.continuationIds];
  const from = Math.max(0, differsAt - 1);
  const shown = (ids: readonly number[]) =>
    ids
      .slice(from, differsAt + BOUNDARY_IDS)
      .map((id) => `[${documentText(context.tokenLabel(id))}]`)
      .join('');
  return [
    `${method}; encoding them as one text gives other ids from token ${differsAt}: ` +
      `${shown(joint)} instead of ${shown(separate)}` +
      (context.promptEndsInSpace
        ? ' (the prompt ends in whitespace, which this tokenizer joins to the next word: start the continuation with it instead)'
        : ''),
  ];
}
