import { UsageError } from '../../../core/errors.ts';
import { maxPositions } from '../../../core/model/model-config.ts';
import { DEFAULT_RECORD_TOP_K } from '../../../engine/decode/step-record.ts';
import { continuationTokens } from '../../../engine/score/continuation-tokens.ts';
import { checkScoreLengths, scoreContinuation } from '../../../engine/score/score-continuation.ts';
import { renderText } from '../../report/render-text.ts';
import { scoreDocument } from '../../report/score-document.ts';
import { tokenLabel } from '../../report/token-text.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';
import { colorWanted } from '../color.ts';
import { loadPromptModel, MODEL_SESSION_OPTIONS, openSource } from '../decode-session.ts';
import { GRAPH_OPTIONS_HELP } from '../graph-options.ts';
import { CHAT_OPTIONS_HELP, chatSummary } from '../prompt-input.ts';

export const SCORE_SCHEMA = 'decode-harness/score@1';

const HELP = `decode-harness score --prompt TEXT | --chat FILE [--add-generation-prompt] --continuation TEXT
                     [--model DIR|NAME] [--dtype D | --onnx FILE] [--backend ID] [--threads N] [--json]
How likely the model finds TEXT after the prompt: per continuation token its logprob, probability and
rank (1 = the model's top token) under the raw distribution, with the model's own top token there;
then the total logprob (log P(continuation | prompt), nats), the mean negative log-likelihood per
token (Hugging Face's loss) and the perplexity exp(mean NLL). The logprobs are what Hugging Face's
compute_transition_scores(..., normalize_logits=True) gives for this forced path: log-softmax of the
raw logits in float64, no processors, teacher-forced (prompt prefill, then one step per token).

The continuation is encoded on its own and its ids appended to the prompt's, as generate appends the
ids it makes; the report says whether encoding prompt + continuation as one text gives other ids.
--json prints one schema-tagged object (${SCORE_SCHEMA}) on stdout.

  --continuation TEXT   the text to score (required; give a leading space where the words need one)
${CHAT_OPTIONS_HELP}

${GRAPH_OPTIONS_HELP}`;

export async function runScore(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('score', argv, {
    ...COMMON_OPTIONS,
    ...MODEL_SESSION_OPTIONS,
    continuation: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const { continuation } = values;
  if (continuation === undefined) {
    throw new UsageError(
      '`decode-harness score` needs --continuation TEXT, the text to score after the prompt ' +
        '(see `decode-harness score --help`)',
    );
  }
  const { model, tokenizer, prompt } = await loadPromptModel(values);
  const tokenization = continuationTokens(tokenizer, prompt, continuation);
  checkScoreLengths(prompt.ids.length, tokenization.ids.length, maxPositions(model.config));
  const source = await openSource(model, values);
  try {
    const score = await scoreContinuation(source, prompt.ids, tokenization.ids, DEFAULT_RECORD_TOP_K);
    const label = (id: number) => tokenLabel(tokenizer, id);
    if (values.json) {
      const withToken = (ids: readonly number[]) => ids.map(label);
      const json = {
        schema: SCORE_SCHEMA,
        model: { name: model.name, path: model.path },
        backend: source.info,
        prompt: {
          text: prompt.text,
          ids: score.promptIds,
          tokens: withToken(score.promptIds),
          ...(prompt.chat ? { chat: prompt.chat } : {}),
        },
        continuation: {
          text: continuation,
          ids: score.continuationIds,
          tokens: withToken(score.continuationIds),
        },
        tokenization: { method: 'separate', joint: tokenization.joint },
        tokens: score.tokens.map((t) => ({
          id: t.id,
          token: label(t.id),
          logprob: t.logprob,
          rank: t.rank,
          top: t.top,
          topTokens: t.top.map(([id]) => label(id)),
        })),
        totalLogprob: score.totalLogprob,
        meanNll: score.meanNll,
        perplexity: score.perplexity,
      };
      process.stdout.write(`${JSON.stringify(json)}\n`);
      return 0;
    }
    const { chat } = prompt;
    const context = {
      modelName: model.name,
      backendId: source.info.id,
      dtype: source.info.dtype,
      tokenLabel: label,
      ...(chat ? { chat: chatSummary(chat) } : {}),
      promptEndsInSpace: /\s$/.test(prompt.text),
      tokenization,
    };
    process.stdout.write(renderText(scoreDocument(context, score), { color: colorWanted(process.stdout) }));
    return 0;
  } finally {
    await source.dispose();
  }
}
