import { decode } from '../../../engine/decode/decode.ts';
import type { BeamStepRecord, DecodeResult, StepRecord } from '../../../engine/decode/decode-result.ts';
import { formatTable } from '../../report/render-text.ts';
import { COMMON_OPTIONS, intOption, parseCommandArgs } from '../args.ts';
import { DECODE_OPTIONS, DECODE_OPTIONS_HELP, generationConfigFrom } from '../decode-options.ts';
import { type DecodeSession, openDecodeSession, SESSION_OPTIONS } from '../decode-session.ts';
import { generationJson, markedTokens } from '../generation-json.ts';

const HELP = `decode-harness trace --prompt TEXT [--model DIR|NAME] [--backend ID] [--top N (10)] [decode options] [--json]
Shows the token document fed to the model, then per step the next-token table of the raw distribution
(rank, id, token, probability, cumulative probability, logprob), the coin drawn when sampling, the
candidates kept and dropped in beam search, and the total logprob of the continuation.

${DECODE_OPTIONS_HELP}`;

export async function runTrace(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('trace', argv, {
    ...COMMON_OPTIONS,
    ...SESSION_OPTIONS,
    ...DECODE_OPTIONS,
    top: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const session = await openDecodeSession(values);
  try {
    const recordTopK = intOption('top', values.top, 10, 1, 1000);
    const config = generationConfigFrom(values, session.model);
    const textOf = (ids: readonly number[]) => session.tokenizer.decode(ids);
    const result = await decode(session.source, session.promptIds, config, { recordTopK, textOf });
    process.stdout.write(
      values.json
        ? `${JSON.stringify(generationJson(session, result, 'trace'))}\n`
        : renderTrace(session, result),
    );
    return 0;
  } finally {
    await session.source.dispose();
  }
}

function renderTrace(session: DecodeSession, result: DecodeResult): string {
  const { tokenizer } = session;
  const show = (id: number) => JSON.stringify(tokenizer.tokenText(id));
  const lines: string[] = [
    `model ${session.model.name} on ${session.source.info.id} (${session.source.info.dtype}), strategy ${result.strategy}`,
    `prompt: ${result.promptIds.length} tokens`,
    `  ${markedTokens(tokenizer, result.promptIds)}`,
    `  ids ${result.promptIds.join(' ')}`,
    '',
  ];
  if (result.beamSteps) lines.push(...renderBeamSteps(result.beamSteps, show));
  else lines.push(...renderSteps(result.sequences[0]!.steps, show));
  for (const [i, sequence] of result.sequences.entries()) {
    const n = sequence.tokenIds.length;
    const label = result.sequences.length > 1 ? `sequence ${i + 1}: ` : '';
    const score = sequence.score === undefined ? '' : `beam score ${sequence.score.toFixed(4)}; `;
    lines.push(
      `${label}continuation: ${JSON.stringify(tokenizer.decode(sequence.tokenIds))}`,
      `${label}${score}total logprob ${sequence.totalLogprob.toFixed(4)} nats over ${n} tokens ` +
        `(mean ${(sequence.totalLogprob / n).toFixed(4)}, perplexity ${Math.exp(-sequence.totalLogprob / n).toFixed(3)}); ` +
        `stopped by ${sequence.finishReason}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function renderSteps(steps: readonly StepRecord[], show: (id: number) => string): string[] {
  const lines: string[] = [];
  for (const [n, step] of steps.entries()) {
    lines.push(
      `step ${n + 1}: input = prompt + ${n} generated token${n === 1 ? '' : 's'}; chose ${show(step.id)} ` +
        `(id ${step.id}, logprob ${step.logprob.toFixed(4)})`,
    );
    if (step.coin !== undefined && step.cdf) {
      lines.push(
        `  coin u = ${step.coin.toFixed(6)} fell in [${step.cdf[0].toFixed(6)}, ${step.cdf[1].toFixed(6)}) ` +
          'of the processed distribution (after temperature, top-k, top-p, …)',
      );
    }
    let cumulative = 0;
    const rows = step.top.map(([id, logprob], rank) => {
      const p = Math.exp(logprob);
      cumulative += p;
      const mark = id === step.id ? '<-' : '';
      return [
        String(rank + 1),
        String(id),
        show(id),
        p.toFixed(4),
        cumulative.toFixed(4),
        logprob.toFixed(4),
        mark,
      ];
    });
    lines.push(formatTable(['rank', 'id', 'token', 'prob', 'cum.prob', 'logprob', ''], rows, '  '), '');
  }
  return lines;
}

function renderBeamSteps(steps: readonly BeamStepRecord[], show: (id: number) => string): string[] {
  const lines: string[] = [];
  for (const [n, step] of steps.entries()) {
    lines.push(`step ${n + 1}: candidates (beam's running sum of processed logprobs)`);
    const rows = step.candidates.map((c, rank) => [
      String(rank + 1),
      String(c.beam),
      String(c.id),
      show(c.id),
      c.score.toFixed(4),
      c.fate,
    ]);
    lines.push(formatTable(['rank', 'from beam', 'id', 'token', 'score', 'fate'], rows, '  '), '');
  }
  return lines;
}
