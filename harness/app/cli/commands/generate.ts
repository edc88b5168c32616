import { decode } from '../../../engine/decode/decode.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';
import { DECODE_OPTIONS, DECODE_OPTIONS_HELP, generationConfigFrom } from '../decode-options.ts';
import { FORCE_OPTION_HELP, openDecodeSession, SESSION_OPTIONS } from '../decode-session.ts';
import { GENERATE_SCHEMA, generationJson } from '../generation-json.ts';
import { GRAPH_OPTIONS_HELP } from '../graph-options.ts';
import { CHAT_OPTIONS_HELP } from '../prompt-input.ts';

const HELP = `decode-harness generate --prompt TEXT | --chat FILE [--add-generation-prompt] [--force TEXT]
                        [--model DIR|NAME] [--dtype D | --onnx FILE] [--backend ID] [--threads N] [decode options] [--json]
Prints the prompt's continuation (every returned sequence, best first).
--json prints one schema-tagged object (${GENERATE_SCHEMA}) on stdout.

${CHAT_OPTIONS_HELP}
${FORCE_OPTION_HELP}

${GRAPH_OPTIONS_HELP}

${DECODE_OPTIONS_HELP}`;

export async function runGenerate(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('generate', argv, {
    ...COMMON_OPTIONS,
    ...SESSION_OPTIONS,
    ...DECODE_OPTIONS,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const session = await openDecodeSession(values);
  try {
    const config = generationConfigFrom(values, session.model);
    const textOf = (ids: readonly number[]) => session.tokenizer.decode(ids);
    const result = await decode(session.source, session.promptIds, config, {
      textOf,
      forcedIds: session.forcedIds,
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(generationJson(session, result, 'generate'))}\n`);
      return 0;
    }
    const prompt = textOf(session.promptIds);
    for (const [i, sequence] of result.sequences.entries()) {
      if (result.sequences.length > 1) {
        const score = sequence.score === undefined ? '' : `, score ${sequence.score.toFixed(4)}`;
        process.stdout.write(`--- sequence ${i + 1} (logprob ${sequence.totalLogprob.toFixed(4)}${score})\n`);
      }
      process.stdout.write(`${prompt}${textOf(sequence.tokenIds)}\n`);
    }
    return 0;
  } finally {
    await session.source.dispose();
  }
}
