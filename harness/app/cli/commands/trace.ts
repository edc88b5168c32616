import { decode } from '../../../engine/decode/decode.ts';
import type { DecodeResult } from '../../../engine/decode/decode-result.ts';
import { renderText } from '../../report/render-text.ts';
import { traceDocument } from '../../report/trace-document.ts';
import { COMMON_OPTIONS, intOption, parseCommandArgs } from '../args.ts';
import { DECODE_OPTIONS, DECODE_OPTIONS_HELP, generationConfigFrom } from '../decode-options.ts';
import { type DecodeSession, openDecodeSession, SESSION_OPTIONS } from '../decode-session.ts';
import { generationJson, markedTokens } from '../generation-json.ts';
import { GRAPH_OPTIONS_HELP } from '../graph-options.ts';

const HELP = `decode-harness trace --prompt TEXT [--model DIR|NAME] [--dtype D | --onnx FILE] [--backend ID] [--top N (10)] [decode options] [--json]
Shows the token document fed to the model, then per step the next-token table of the raw distribution
(rank, id, token, probability, cumulative probability, logprob), the coin drawn when sampling, the
candidates kept and dropped in beam search, and the total logprob of the continuation.

${GRAPH_OPTIONS_HELP}

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
  const context = {
    modelName: session.model.name,
    backendId: session.source.info.id,
    dtype: session.source.info.dtype,
    markedPrompt: markedTokens(tokenizer, result.promptIds),
    tokenText: (id: number) => tokenizer.tokenText(id),
    decode: (ids: readonly number[]) => tokenizer.decode(ids),
  };
  return renderText(traceDocument(context, result));
}
