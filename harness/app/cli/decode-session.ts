import type { LogitsSource } from '../../core/backend/contract.ts';
import { UsageError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { loadTokenizer, type Tokenizer } from '../../engine/model/tokenizer.ts';
import { loadModelDir } from '../../engine/model-gen/load-model-dir.ts';
import { createBackend } from '../registry.ts';
import { intOption, type OptionSpec } from './args.ts';
import { GRAPH_OPTIONS, graphChoice } from './graph-options.ts';

/** Options shared by commands that run one model on one backend. */
export const SESSION_OPTIONS = {
  model: { type: 'string', default: 'tiny-gpt2' },
  ...GRAPH_OPTIONS,
  backend: { type: 'string', default: 'ort-node:cpu' },
  prompt: { type: 'string' },
  threads: { type: 'string' },
} as const satisfies OptionSpec;

export interface DecodeSession {
  readonly model: ModelDir;
  readonly tokenizer: Tokenizer;
  readonly source: LogitsSource;
  readonly promptIds: number[];
}

/** Load model, tokenizer and backend, encode the prompt; the caller disposes `source`. */
export async function openDecodeSession(values: {
  model?: string;
  dtype?: string;
  onnx?: string;
  backend?: string;
  prompt?: string;
  threads?: string;
}): Promise<DecodeSession> {
  if (values.prompt === undefined) throw new UsageError('--prompt TEXT is required (the text to continue)');
  const model = await loadModelDir(values.model ?? 'tiny-gpt2', graphChoice(values));
  const tokenizer = await loadTokenizer(model);
  const promptIds = tokenizer.encode(values.prompt);
  if (promptIds.length === 0) {
    throw new UsageError(`--prompt ${JSON.stringify(values.prompt)} encodes to no tokens; give some text`);
  }
  const threads = values.threads === undefined ? undefined : intOption('threads', values.threads, 1, 1, 1024);
  const source = await createBackend(
    values.backend ?? 'ort-node:cpu',
    model,
    threads === undefined ? {} : { threads },
  );
  return { model, tokenizer, source, promptIds };
}
