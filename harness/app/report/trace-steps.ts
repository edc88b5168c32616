import type { StepRecord, TemperatureTable, WalkCandidate } from '../../engine/decode/decode-result.ts';
import { type Cell, num } from './cells.ts';
import type { ReportBlock, TableBlock } from './document.ts';

/** How a step's choice reads: a person's words for its line, a quoted token for its table. */
export interface StepWords {
  readonly quoted: (id: number) => string;
  /** `input = prompt + 2 generated tokens; ` for a model; nothing for a toy, which has no context. */
  readonly input: (n: number) => string;
  /** `sequence 2, ` when several sampled rows are shown. */
  readonly sequence: string;
  /** Whether step n shows its temperature table (a toy's is the same at every step: once is enough). */
  readonly temperaturesAt: (n: number) => boolean;
}

/**
 * Sampling and greedy steps: per step what was chosen, the coin when sampling, the distribution the
 * choice read in the order the coin walks it (the chosen row marked, and added below when it lies
 * beyond the printed rows), then the step's logits at each asked-for temperature.
 */
export function stepBlocks(steps: readonly StepRecord[], words: StepWords): ReportBlock[] {
  return steps.flatMap((step, n): ReportBlock[] => {
    const walk = step.walk!;
    const where =
      walk.distribution === 'processed'
        ? `rank ${walk.chosenRank} of ${walk.survivors} left by the processors`
        : `rank ${walk.chosenRank}`;
    const lines = [
      `${words.sequence}step ${n + 1}: ${words.input(n)}${step.forced ? 'forced' : 'chose'} ` +
        `${words.quoted(step.id)} (id ${step.id}, ` +
        `logprob ${step.logprob.toFixed(4)}; ${where})`,
    ];
    if (step.coin !== undefined && step.cdf) {
      lines.push(
        `  coin u = ${step.coin.toFixed(6)} fell in [${step.cdf[0].toFixed(6)}, ${step.cdf[1].toFixed(6)}) ` +
          `of the cumulative column: row ${walk.chosenRank}`,
      );
    }
    return [
      { kind: 'lines', unwrapped: true, lines },
      walkTable(step, words.quoted),
      ...(step.temperatures && words.temperaturesAt(n)
        ? temperatureBlocks(step.temperatures, words.quoted)
        : []),
    ];
  });
}

/** The walked distribution: raw columns only when the choice read the raw row. */
function walkTable(step: StepRecord, quoted: (id: number) => string): TableBlock {
  const walk = step.walk!;
  const processed = walk.distribution === 'processed';
  const marker = step.coin === undefined ? '<-' : '<- coin';
  const row = (c: WalkCandidate, rank: number): Cell[] => [
    num(rank, 0),
    num(c.id, 0),
    quoted(c.id),
    ...(processed ? [num(Math.exp(c.rawLogprob), 4)] : []),
    num(c.prob, 4),
    num(c.cumulative, 4),
    num(c.rawLogprob, 4, { unit: 'nats' }),
    c.id === step.id ? marker : '',
  ];
  const rows = walk.top.map((c, r) => row(c, r + 1));
  if (walk.chosenBeyond) {
    rows.push(['', '', '…', ...(processed ? [''] : []), '', '', '', '']);
    rows.push(row(walk.chosenBeyond, walk.chosenRank));
  }
  const header = processed
    ? ['rank', 'id', 'token', 'raw p', 'p', 'cum. p', 'raw logprob', '']
    : ['rank', 'id', 'token', 'prob', 'cum.prob', 'logprob', ''];
  const chosenRow = walk.chosenBeyond ? rows.length - 1 : walk.chosenRank - 1;
  return { kind: 'table', header, rows, highlight: [chosenRow] };
}

/** One step's logits at several temperatures side by side (temperature alone, over the whole vocabulary). */
function temperatureBlocks(table: TemperatureTable, quoted: (id: number) => string): ReportBlock[] {
  return [
    {
      kind: 'lines',
      unwrapped: true,
      lines: [
        '  at each temperature T: adjusted logit = logit / T; p = softmax of them over the whole vocabulary',
      ],
    },
    {
      kind: 'table',
      header: ['id', 'token', 'logit', ...table.temperatures.flatMap((t) => [`logit/${t}`, `p at T=${t}`])],
      rows: table.rows.map((r) => [
        num(r.id, 0),
        quoted(r.id),
        num(r.logit, 4),
        ...r.at.flatMap((at) => [num(at.adjusted, 4), num(at.prob, 4)]),
      ]),
    },
  ];
}
