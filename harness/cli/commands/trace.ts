import type { DecodeResult } from '../../decode/decode-result.ts';
import { greedy } from '../../decode/greedy.ts';
import { COMMON_OPTIONS, intOption, parseCommandArgs } from '../args.ts';
import { DECODE_OPTIONS, greedyConfigFrom } from '../decode-options.ts';
import { type DecodeSession, openDecodeSession, SESSION_OPTIONS } from '../decode-session.ts';
import { generationJson, markedTokens } from '../generation-json.ts';
import { formatTable } from '../table.ts';

const HELP = `decode-harness trace --prompt TEXT [--model DIR|NAME] [--backend ID] [--top N (default 10)]
                      [--strategy greedy] [--max-new-tokens N] [--json]
Shows the token document fed to the model, then for each step the next-token table (rank, id,
token, probability, cumulative probability, logprob) and the total logprob of the continuation.`;

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
    const topN = intOption('top', values.top, 10, 1, 1000);
    const result = await greedy(
      session.source,
      session.promptIds,
      greedyConfigFrom(values, session.model, topN),
    );
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
  const best = result.sequences[0]!;
  best.steps.forEach((step, n) => {
    lines.push(
      `step ${n + 1}: input = prompt + ${n} generated token${n === 1 ? '' : 's'}; chose ${show(step.id)} (id ${step.id}, logprob ${step.logprob.toFixed(4)})`,
    );
    let cumulative = 0;
    const rows = step.top.map(([id, logprob], rank) => {
      const p = Math.exp(logprob);
      cumulative += p;
      return [
        String(rank + 1),
        String(id),
        show(id),
        p.toFixed(4),
        cumulative.toFixed(4),
        logprob.toFixed(4),
        id === step.id ? '<-' : '',
      ];
    });
    lines.push(formatTable(['rank', 'id', 'token', 'prob', 'cum.prob', 'logprob', ''], rows, '  '), '');
  });
  const n = best.tokenIds.length;
  lines.push(
    `continuation: ${JSON.stringify(tokenizer.decode(best.tokenIds))}`,
    `total logprob ${best.totalLogprob.toFixed(4)} nats over ${n} tokens ` +
      `(mean ${(best.totalLogprob / n).toFixed(4)}, perplexity ${Math.exp(-best.totalLogprob / n).toFixed(3)}); ` +
      `stopped by ${best.finishReason}`,
  );
  return `${lines.join('\n')}\n`;
}
