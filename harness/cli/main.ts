import { HarnessError } from '../errors.ts';
import { runBackends } from './commands/backends.ts';
import { runDefaultJob } from './commands/default-job.ts';
import { runGenerate } from './commands/generate.ts';
import { runTrace } from './commands/trace.ts';

export const USAGE = `decode-harness — check and benchmark how causal language models decode

Usage:
  decode-harness                 every available backend on the embedded model tiny-gpt2:
                                 conformance, greedy agreement, a short timing; writes reports/latest.*
  decode-harness backends        every backend id, available or not, and why not
  decode-harness generate  --prompt TEXT [--model DIR|NAME] [--backend ID] [decode options] [--json]
  decode-harness trace     --prompt TEXT [--model DIR|NAME] [--backend ID] [--top N] [decode options] [--json]

Decode options (Hugging Face names):
  --strategy greedy   --max-new-tokens N (default 20)

Common: --verbose (stack traces on errors)  --help
Exit codes: 0 ok, 1 a check failed, 2 bad usage or input.`;

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  backends: runBackends,
  generate: runGenerate,
  trace: runTrace,
};

/** Run one command line; returns the process exit code. Errors print a message, not a stack. */
export async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const [first, ...rest] = argv;
  try {
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
