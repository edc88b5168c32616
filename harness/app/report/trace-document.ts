import type { BeamStepRecord, DecodeResult, StepRecord } from '../../engine/decode/decode-result.ts';
import { type Cell, num } from './cells.ts';
import type { ReportBlock, ReportDocument } from './document.ts';

/** What the trace shows besides the decode itself: names, and the tokenizer's view of ids. */
export interface TraceContext {
  readonly modelName: string;
  readonly backendId: string;
  readonly dtype: string;
  /** The prompt's token document with boundaries marked: `[The][ quick]`. */
  readonly markedPrompt: string;
  /** One token's exact text. */
  readonly tokenText: (id: number) => string;
  /** The text of a run of ids. */
  readonly decode: (ids: readonly number[]) => string;
}

/**
 * `trace`: the token document fed to the model, then per step the next-token table of the raw
 * distribution (or the beam candidates and their fates), then each sequence's continuation and
 * total logprob.
 */
export function traceDocument(context: TraceContext, result: DecodeResult): ReportDocument {
  const show = (id: number) => JSON.stringify(context.tokenText(id));
  const blocks: ReportBlock[] = [
    {
      kind: 'lines',
      unwrapped: true,
      lines: [
        `prompt: ${result.promptIds.length} tokens`,
        `  ${context.markedPrompt}`,
        `  ids ${result.promptIds.join(' ')}`,
      ],
    },
    ...(result.beamSteps
      ? beamStepBlocks(result.beamSteps, show)
      : stepBlocks(result.sequences[0]!.steps, show)),
    { kind: 'lines', unwrapped: true, lines: sequenceLines(context, result) },
  ];
  return {
    title: `decode-harness trace: model ${context.modelName} on ${context.backendId} (${context.dtype}), strategy ${result.strategy}`,
    blocks,
  };
}

function stepBlocks(steps: readonly StepRecord[], show: (id: number) => string): ReportBlock[] {
  return steps.flatMap((step, n): ReportBlock[] => {
    const lines = [
      `step ${n + 1}: input = prompt + ${n} generated token${n === 1 ? '' : 's'}; chose ${show(step.id)} ` +
        `(id ${step.id}, logprob ${step.logprob.toFixed(4)})`,
    ];
    if (step.coin !== undefined && step.cdf) {
      lines.push(
        `  coin u = ${step.coin.toFixed(6)} fell in [${step.cdf[0].toFixed(6)}, ${step.cdf[1].toFixed(6)}) ` +
          'of the processed distribution (after temperature, top-k, top-p, …)',
      );
    }
    let cumulative = 0;
    const rows = step.top.map(([id, logprob], rank): Cell[] => {
      const p = Math.exp(logprob);
      cumulative += p;
      return [
        num(rank + 1, 0),
        num(id, 0),
        show(id),
        num(p, 4),
        num(cumulative, 4),
        num(logprob, 4, { unit: 'nats' }),
        id === step.id ? '<-' : '',
      ];
    });
    return [
      { kind: 'lines', unwrapped: true, lines },
      { kind: 'table', header: ['rank', 'id', 'token', 'prob', 'cum.prob', 'logprob', ''], rows },
    ];
  });
}

function beamStepBlocks(steps: readonly BeamStepRecord[], show: (id: number) => string): ReportBlock[] {
  return steps.flatMap((step, n): ReportBlock[] => [
    {
      kind: 'lines',
      unwrapped: true,
      lines: [`step ${n + 1}: candidates (beam's running sum of processed logprobs)`],
    },
    {
      kind: 'table',
      header: ['rank', 'from beam', 'id', 'token', 'score', 'fate'],
      rows: step.candidates.map((c, rank) => [
        num(rank + 1, 0),
        num(c.beam, 0),
        num(c.id, 0),
        show(c.id),
        num(c.score, 4, { unit: 'nats' }),
        c.fate,
      ]),
    },
  ]);
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
