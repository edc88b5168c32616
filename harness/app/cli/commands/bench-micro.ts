import { UsageError } from '../../../core/errors.ts';
import { kernelTasks } from '../../bench-targets/micro/kernel-tasks.ts';
import { type MicroResult, runMicro } from '../../bench-targets/micro/micro-result.ts';
import { PROCESSOR_VOCAB, processorTasks } from '../../bench-targets/micro/processor-tasks.ts';
import { microDocument } from '../../report/micro-document.ts';
import { renderText } from '../../report/render-text.ts';
import { COMMON_OPTIONS, intOption, parseCommandArgs } from '../args.ts';

export const BENCH_MICRO_SCHEMA = 'decode-harness/bench-micro@1';

const HELP = `decode-harness bench micro [--only kernels|processors] [--time MS] [--json]
tinybench micro-benchmarks (mean latency ± 95% margin of error):
  kernels     the fast ts:f32 kernels beside their naive float64 twins on one distilgpt2-shaped
              decode step: c_fc 768→3072, the LM head 768→50257, attention over 80 positions
  processors  the sampling chain (temperature + top-k + top-p + repetition penalty) over a
              ${PROCESSOR_VOCAB}-token vocabulary, each processor alone, and log-softmax for scale
  --time MS   time budget per task after warm-up (default 1000)
  --json      print one ${BENCH_MICRO_SCHEMA} object on stdout and nothing else there`;

const GROUPS = { kernels: kernelTasks, processors: () => processorTasks() } as const;

export async function runBenchMicro(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('bench micro', argv, {
    ...COMMON_OPTIONS,
    only: { type: 'string' },
    time: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const only = values.only;
  if (only !== undefined && !Object.hasOwn(GROUPS, only)) {
    throw new UsageError(
      `--only ${JSON.stringify(only)} is not a group; groups: ${Object.keys(GROUPS).join(', ')}`,
    );
  }
  const timeMs = intOption('time', values.time, 1000, 10, 600_000);
  const groups = Object.entries(GROUPS).filter(([name]) => only === undefined || name === only);
  const results: Record<string, MicroResult[]> = {};
  for (const [name, tasks] of groups) {
    process.stderr.write(`… ${name}: tinybench, ${timeMs} ms per task\n`);
    results[name] = await runMicro(tasks(), timeMs);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ schema: BENCH_MICRO_SCHEMA, timeMs, results })}\n`);
  } else process.stdout.write(renderText(microDocument(timeMs, results)));
  return Object.values(results).some((rows) => rows.some((r) => r.state === 'errored')) ? 1 : 0;
}
