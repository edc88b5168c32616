import { stderrProgress } from '../../../engine/bench/progress.ts';
import { DEFAULT_TARGET_SETTINGS, runTargets } from '../../bench-targets/run-targets.ts';
import { evaluateTargets } from '../../bench-targets/targets-table.ts';
import { renderText } from '../../report/render-text.ts';
import { targetsDocument } from '../../report/targets-document.ts';
import { COMMON_OPTIONS, intOption, parseCommandArgs } from '../args.ts';

export const BENCH_TARGETS_SCHEMA = 'decode-harness/bench-targets@1';

const d = DEFAULT_TARGET_SETTINGS;
const HELP = `decode-harness bench targets [--model NAME|DIR (${d.model})] [--rounds N (${d.rounds})] [--new-tokens N (${d.newTokens})] [--recheck] [--fail-on-miss] [--json]
The performance targets, each a ratio measured within this one run (so a busy machine slows both
sides): harness overhead against a bare onnxruntime-node loop, against transformers.js generate(),
the processor chain's share of a decode step, beam search's cost per step, and ts:f32 against
ort-node:cpu and ort-web:wasm. Every lane decodes the same ${d.promptTokens}-token synthetic prompt once per round,
one intra-op thread each, except ts:f32 and its two peers, which run on every core (${d.parallelThreads} here);
rounds alternate the lane order. Prints each figure, its goal, pass/miss, and for a
miss what limits it. This is \`npm run bench\`.
  --fail-on-miss  exit 1 when a target is missed (for CI; by default the table is informational)
  --json   print one ${BENCH_TARGETS_SCHEMA} object (raw per-round samples included) on stdout`;

export async function runBenchTargets(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('bench targets', argv, {
    ...COMMON_OPTIONS,
    model: { type: 'string', default: d.model },
    rounds: { type: 'string' },
    'new-tokens': { type: 'string' },
    recheck: { type: 'boolean' },
    'fail-on-miss': { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const run = await runTargets(
    {
      ...d,
      model: values.model ?? d.model,
      rounds: intOption('rounds', values.rounds, d.rounds, 1, 1000),
      newTokens: intOption('new-tokens', values['new-tokens'], d.newTokens, 2, 100_000),
      recheck: values.recheck ?? false,
    },
    stderrProgress(),
  );
  const outcomes = evaluateTargets(run);
  if (values.json)
    process.stdout.write(`${JSON.stringify({ schema: BENCH_TARGETS_SCHEMA, ...run, outcomes })}\n`);
  else process.stdout.write(renderText(targetsDocument(run, outcomes)));
  const missed = outcomes.some((o) => o.status !== 'pass');
  return missed && values['fail-on-miss'] ? 1 : 0;
}
