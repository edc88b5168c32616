import { greedy } from '../../decode/greedy.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';
import { DECODE_OPTIONS, greedyConfigFrom } from '../decode-options.ts';
import { openDecodeSession, SESSION_OPTIONS } from '../decode-session.ts';
import { generationJson } from '../generation-json.ts';

const HELP = `decode-harness generate --prompt TEXT [--model DIR|NAME] [--backend ID] [--threads N]
                         [--strategy greedy] [--max-new-tokens N] [--json]
Prints the prompt's continuation. --json prints one schema-tagged object (${'decode-harness/generate@1'}).`;

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
    const config = greedyConfigFrom(values, session.model, 5);
    const result = await greedy(session.source, session.promptIds, config);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(generationJson(session, result, 'generate'))}\n`);
    } else {
      const best = result.sequences[0]!;
      process.stdout.write(
        `${session.tokenizer.decode(session.promptIds)}${session.tokenizer.decode(best.tokenIds)}\n`,
      );
    }
    return 0;
  } finally {
    await session.source.dispose();
  }
}
