import type { LogitsSource } from '../../core/backend/contract.ts';
import { UsageError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { loadTokenizer, type ModelTokenizer } from '../../engine/model/tokenizer.ts';
import { loadModelDir } from '../../engine/model-gen/load-model-dir.ts';
import { createBackend } from '../registry.ts';
import { intOption, type OptionSpec } from './args.ts';
import { GRAPH_OPTIONS, graphChoice } from './graph-options.ts';
import { CHAT_OPTIONS, encodePrompt, type PromptInput, readPromptSource } from './prompt-input.ts';

/** Options of commands that run one model on one backend over one document (--prompt or --chat). */
export const MODEL_SESSION_OPTIONS = {
  model: { type: 'string', default: 'tiny-gpt2' },
  ...GRAPH_OPTIONS,
  backend: { type: 'string', default: 'ort-node:cpu' },
  prompt: { type: 'string' },
  ...CHAT_OPTIONS,
  threads: { type: 'string' },
} as const satisfies OptionSpec;

/** generate and trace: the session options plus --force. */
export const SESSION_OPTIONS = {
  ...MODEL_SESSION_OPTIONS,
  force: { type: 'string' },
} as const satisfies OptionSpec;

export const FORCE_OPTION_HELP = `  --force TEXT   every continuation starts with TEXT's tokens (encoded on their own, after the prompt's),
                 each scored (logprob, rank) and marked forced; decoding then goes on as configured,
                 max-new-tokens counting the tokens after them`;

interface SessionValues {
  model?: string;
  dtype?: string;
  onnx?: string;
  backend?: string;
  prompt?: string;
  chat?: string;
  'add-generation-prompt'?: boolean;
  threads?: string;
}

/** A model, its tokenizer and the document: everything but the backend. */
export interface PromptModel {
  readonly model: ModelDir;
  readonly tokenizer: ModelTokenizer;
  readonly prompt: PromptInput;
}

export interface DecodeSession extends PromptModel {
  readonly source: LogitsSource;
  readonly promptIds: number[];
  /** --force's tokens; empty without it. */
  readonly forcedIds: number[];
}

/** Check the document's flags (and read a --chat file), then load model and tokenizer and encode it. */
export async function loadPromptModel(values: SessionValues): Promise<PromptModel> {
  const source = readPromptSource(
    '--prompt',
    { text: values.prompt, chat: values.chat, addGenerationPrompt: values['add-generation-prompt'] },
    'the text to continue',
  );
  const model = await loadModelDir(values.model ?? 'tiny-gpt2', graphChoice(values));
  const tokenizer = await loadTokenizer(model);
  return { model, tokenizer, prompt: encodePrompt(tokenizer, source, '--prompt') };
}

/** Open `--backend` on the model (default ort-node:cpu); the caller disposes it. */
export async function openSource(model: ModelDir, values: SessionValues): Promise<LogitsSource> {
  const threads = values.threads === undefined ? undefined : intOption('threads', values.threads, 1, 1, 1024);
  return createBackend(values.backend ?? 'ort-node:cpu', model, threads === undefined ? {} : { threads });
}

/** Load model, tokenizer and backend, encode the prompt and --force; the caller disposes `source`. */
export async function openDecodeSession(values: SessionValues & { force?: string }): Promise<DecodeSession> {
  const base = await loadPromptModel(values);
  // Encoded on its own, after the prompt's ids (engine/score/continuation-tokens.ts says why).
  const forcedIds = values.force === undefined ? [] : base.tokenizer.encode(values.force);
  if (values.force !== undefined && forcedIds.length === 0) {
    throw new UsageError(
      `--force ${JSON.stringify(values.force)} encodes to no tokens; give the text the continuation ` +
        'starts with, or leave --force out',
    );
  }
  const source = await openSource(base.model, values);
  return { ...base, source, promptIds: base.prompt.ids, forcedIds };
}
