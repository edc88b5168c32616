import { ToySource } from '../../../../backends/scripted/toy-source.ts';
import { UsageError } from '../../../core/errors.ts';
import { decode } from '../../../engine/decode/decode.ts';
import type { DecodeResult } from '../../../engine/decode/decode-result.ts';
import type { GenerationConfig } from '../../../engine/decode/generation-config.ts';
import { renderText } from '../../report/render-text.ts';
import { tokenLabel } from '../../report/token-text.ts';
import { type TraceContext, traceDocument } from '../../report/trace-document.ts';
import { COMMON_OPTIONS, intOption, type OptionSpec, parseCommandArgs } from '../args.ts';
import { colorWanted } from '../color.ts';
import {
  DECODE_OPTIONS,
  DECODE_OPTIONS_HELP,
  generationConfigFrom,
  toyGenerationConfig,
} from '../decode-options.ts';
import { FORCE_OPTION_HELP, openDecodeSession, SESSION_OPTIONS } from '../decode-session.ts';
import { type GenerationSubject, generationJson } from '../generation-json.ts';
import { GRAPH_OPTIONS_HELP } from '../graph-options.ts';
import { CHAT_OPTIONS_HELP } from '../prompt-input.ts';
import { parseTemperatureList } from '../temperature-list.ts';
import { parseToyDistribution, type ToyDistribution } from '../toy-distribution.ts';

const HELP = `decode-harness trace --prompt TEXT | --chat FILE [--add-generation-prompt] [--force TEXT]
                     [--model DIR|NAME] [--dtype D | --onnx FILE] [--backend ID] [--top N (10)]
                     [--temperatures T,T,…] [decode options] [--json]
decode-harness trace --logits "NAME=LOGIT,…" | --probs "NAME=P,…" [--top N] [--temperatures T,T,…] [decode options] [--json]
Shows the token document fed to the model (each id under its token), then per step the distribution
the choice read, in the order a coin walks it: rank, id, token, raw probability, probability after
every processor that ran (named above the steps), cumulative probability, raw logprob, the chosen
row marked (and added below the table when its rank lies deeper) and, when sampling, the coin u.
Beam search shows per step every ranked beam-and-token pair, its parent beam, total logprob and fate,
then the finished hypotheses with their length-normalised scores.

  --temperatures T,T,…   also show each step's logits at these temperatures side by side (0.01 to 100)
  --logits / --probs     a toy vocabulary instead of a model: your own logits, or probabilities read as
                         logits log p (they must sum to 1 within 0.01); one step unless --max-new-tokens
                         says more; the same processors, temperature tables and seeded coins
${CHAT_OPTIONS_HELP}
${FORCE_OPTION_HELP}

${GRAPH_OPTIONS_HELP}

${DECODE_OPTIONS_HELP}`;

const TRACE_OPTIONS = {
  ...COMMON_OPTIONS,
  ...SESSION_OPTIONS,
  // No defaults here (openDecodeSession has them), so a toy distribution can refuse a given --model.
  model: { type: 'string' },
  backend: { type: 'string' },
  ...DECODE_OPTIONS,
  top: { type: 'string' },
  temperatures: { type: 'string' },
  logits: { type: 'string' },
  probs: { type: 'string' },
} as const satisfies OptionSpec;

type TraceValues = ReturnType<typeof parseCommandArgs<typeof TRACE_OPTIONS>>['values'];

/** Most rows a step's table may print. */
const MAX_TOP = 1000;

export async function runTrace(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('trace', argv, TRACE_OPTIONS);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const temperatures = values.temperatures === undefined ? [] : parseTemperatureList(values.temperatures);
  const toy = toyFrom(values);
  if (toy) return traceToy(toy, values, temperatures);
  const session = await openDecodeSession(values);
  try {
    const recordTopK = intOption('top', values.top, 10, 1, MAX_TOP);
    const config = viewable(generationConfigFrom(values, session.model), temperatures);
    const textOf = (ids: readonly number[]) => session.tokenizer.decode(ids);
    const result = await decode(session.source, session.promptIds, config, {
      recordTopK,
      textOf,
      view: { walkRows: recordTopK, temperatures },
      forcedIds: session.forcedIds,
    });
    const context: TraceContext = {
      modelName: session.model.name,
      backendId: session.source.info.id,
      dtype: session.source.info.dtype,
      tokenLabel: (id) => tokenLabel(session.tokenizer, id),
      decode: textOf,
    };
    print(values, session, context, result, {});
    return 0;
  } finally {
    await session.source.dispose();
  }
}

/** The toy distribution --logits or --probs gives, or null; it runs no model, so model flags are refused. */
function toyFrom(values: TraceValues): ToyDistribution | null {
  if (values.logits !== undefined && values.probs !== undefined) {
    throw new UsageError('--logits and --probs both give the distribution; give one of them');
  }
  const flag = values.logits !== undefined ? 'logits' : values.probs !== undefined ? 'probs' : null;
  if (flag === null) return null;
  const given = values as Record<string, unknown>;
  for (const name of Object.keys(SESSION_OPTIONS)) {
    if (given[name] !== undefined) {
      throw new UsageError(`--${flag} gives its own distribution and runs no model; drop --${name}`);
    }
  }
  return parseToyDistribution(flag, given[flag] as string);
}

/** Temperature tables are per sampling or greedy step; a beam step shows its candidates instead. */
function viewable(config: GenerationConfig, temperatures: readonly number[]): GenerationConfig {
  if (temperatures.length > 0 && config.num_beams > 1) {
    throw new UsageError(
      `--temperatures tables sampling or greedy steps; beam search (--num-beams ${config.num_beams}) shows ` +
        'its candidates instead: drop one of the two',
    );
  }
  return config;
}

async function traceToy(toy: ToyDistribution, values: TraceValues, temperatures: number[]): Promise<number> {
  const vocabulary = toy.tokens.length;
  const source = new ToySource(toy.logits);
  const tokenizer = {
    decode: (ids: readonly number[]) => ids.map((id) => toy.tokens[id]!).join(' '),
    tokenText: (id: number) => toy.tokens[id]!,
    partialBytes: () => null,
  };
  const recordTopK = intOption('top', values.top, Math.min(vocabulary, MAX_TOP), 1, MAX_TOP);
  const config = viewable(toyGenerationConfig(values, vocabulary), temperatures);
  const result = await decode(source, [], config, {
    recordTopK,
    textOf: tokenizer.decode,
    view: { walkRows: recordTopK, temperatures, temperatureIds: toy.tokens.map((_, id) => id) },
    contextFree: true,
  });
  const context: TraceContext = {
    modelName: 'toy',
    backendId: source.info.id,
    dtype: source.info.dtype,
    tokenLabel: tokenizer.tokenText,
    decode: tokenizer.decode,
    toy: { tokens: vocabulary, given: toy.given },
  };
  const subject = { model: { name: 'toy', path: null }, source, tokenizer };
  print(values, subject, context, result, { toy });
  return 0;
}

function print(
  values: TraceValues,
  subject: GenerationSubject,
  context: TraceContext,
  result: DecodeResult,
  extra: { readonly toy?: ToyDistribution },
): void {
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ ...generationJson(subject, result, 'trace'), ...extra })}\n`
      : renderText(traceDocument(context, result), { color: colorWanted(process.stdout) }),
  );
}
