import { defaultThreads } from '../../core/backend/default-threads.ts';
import { HarnessError } from '../../core/errors.ts';
import { runAttention } from './commands/attention.ts';
import { runBackends } from './commands/backends.ts';
import { runBenchCommand } from './commands/bench.ts';
import { runBisectCommand } from './commands/bisect.ts';
import { runCheckCommand } from './commands/check.ts';
import { runCompare } from './commands/compare.ts';
import { runDefaultJob } from './commands/default-job.ts';
import { runGenerate } from './commands/generate.ts';
import { runQuantize } from './commands/quantize.ts';
import { runRecordCommand } from './commands/record.ts';
import { runScore } from './commands/score.ts';
import { runTokenize } from './commands/tokenize.ts';
import { runTrace } from './commands/trace.ts';

export const USAGE = `decode-harness — check and benchmark how causal language models decode

Usage:
  decode-harness                 every available backend on the embedded model tiny-gpt2:
                                 conformance, greedy agreement, a short timing; writes reports/latest.*
  decode-harness backends        every backend id, available or not, and why not [--model M: per graph]
  decode-harness generate  --prompt TEXT [--model DIR|NAME] [--backend ID] [decode options] [--json]
  decode-harness trace     --prompt TEXT [--model DIR|NAME] [--backend ID] [--top N] [--temperatures T,T] [decode options] [--json]
  decode-harness trace     --logits "NAME=LOGIT,…" | --probs "NAME=P,…" [--temperatures T,T] [decode options]
                                 a toy vocabulary of your own, no model: the same processors, tables and coins
                                 generate and trace also take --chat FILE [--add-generation-prompt] for the
                                 prompt and --force TEXT, a continuation's scored start
  decode-harness score     --prompt TEXT --continuation TEXT [--model DIR|NAME] [--backend ID] [--json]
                                 per token logprob and rank, total logprob, mean NLL (HF's loss), perplexity
  decode-harness tokenize  --text TEXT | --chat FILE [--add-generation-prompt] [--model DIR|NAME] [--json]
                                 the token document, ids and bytes, from the tokenizer alone
  decode-harness attention --prompt TEXT [--model DIR|NAME] [--layer L] [--head H] [--shade] [--out DIR] [--json]
                                 the causal mask, its softmax and the attention probabilities per layer and
                                 head (heat maps), computed by the float64 reference ts:f64
  decode-harness record    [--model DIR|NAME] [--golden DIR] [--cases FILE] [--yes]
                                 record golden fixtures on the reference (ts:f64, or onnx:f64 for a
                                 graph model.safetensors does not describe)
  decode-harness check     [--model DIR|NAME] [--backends ID,ID|all] [--golden DIR] [--junit FILE] [--json]
                                 check backends against the golden fixtures
  decode-harness compare   --backends ID,ID[,…] [--model DIR|NAME] [--reference ID] [--prompts FILE]
                           [--max-new-tokens N] [--out DIR] [--json]
                           [--max-mean-kld X] [--min-same-top-p PCT] [--max-abs-logit-diff X]
  decode-harness bisect    --backends A,B | --against DIR_OR_FILE [--backend ID] [--model DIR|NAME] [--prompt TEXT]
                           [--step N] [--nodes PATTERN] [--out DIR] [--json]
                                 the first node where two backends (or two graphs) part, node by node
  decode-harness bench     [--model M[,M]] [--backends ID,ID|all] [--prompt-tokens N] [--new-tokens N]
                           [--repetitions N] [--warmup N] [--threads N] [--batch N] [--strategy S]
                           [--num-beams N] [--out DIR] [--json|--md|--csv]
                                 throughput: pp/tg tokens/s, TTFT, inter-token latency, memory, roofline
  decode-harness bench compare A.json B.json [--fail-if-slower PCT]
  decode-harness bench micro | targets   tinybench kernels/processors | the targets table (npm run bench)
  decode-harness quantize  --model DIR|NAME --dtype fp16|q8|q4|q4f16 [--block-size N] [--out DIR] [--yes]
                                 write onnx/model_fp16.onnx, model_quantized.onnx, model_q4.onnx or model_q4f16.onnx

Graph variants: every command that loads a model takes --dtype fp32|fp16|q8|int8|uint8|q4|q4f16|bnb4
(transformers.js's file names) or --onnx FILE; \`decode-harness backends --model M\` lists them.

Decode options (Hugging Face names; \`decode-harness generate --help\` lists them all):
  --strategy greedy|sample|beam  --max-new-tokens N  --do-sample --seed N  --temperature T
  --top-k K  --top-p P  --min-p P  --repetition-penalty R  --num-beams N  --length-penalty L  …

Common: --verbose (stack traces on errors)  --help
Environment: DECODE_HARNESS_THREADS=N  intra-op threads of every backend not given --threads (default:
every core; processes sharing the machine split its cores)
Exit codes: 0 ok, 1 a check failed, 2 bad usage or input.`;

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  attention: runAttention,
  backends: runBackends,
  bench: runBenchCommand,
  bisect: runBisectCommand,
  check: runCheckCommand,
  compare: runCompare,
  generate: runGenerate,
  quantize: runQuantize,
  record: runRecordCommand,
  score: runScore,
  tokenize: runTokenize,
  trace: runTrace,
};

/** Run one command line; returns the process exit code. Errors print a message, not a stack. */
export async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const [first, ...rest] = argv;
  try {
    defaultThreads(); // the environment is input too: a bad DECODE_HARNESS_THREADS exits 2 before any work
    if (first === 'help' || first === '--help' || first === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (first === undefined || first.startsWith('--')) return await runDefaultJob(argv);
    const command = COMMANDS[first];
    if (!command) {
      process.stderr.write(
        `decode-harness: unknown command ${JSON.stringify(first)}; commands: ${Object.keys(COMMANDS).join(', ')}\n`,
      );
      return 2;
    }
    return await command(rest);
  } catch (error) {
    if (error instanceof HarnessError) {
      process.stderr.write(`decode-harness: ${error.message}\n`);
      if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    // Not a user error: a bug or an environment failure. Keep the stack.
    process.stderr.write(
      `decode-harness: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    return 1;
  }
}
