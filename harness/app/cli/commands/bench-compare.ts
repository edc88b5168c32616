import { UsageError } from '../../../core/errors.ts';
import { parseDecimal } from '../../../core/parse-decimal.ts';
import { compareReports, NOISE_FACTOR, slowdownGate } from '../../../engine/bench/compare-reports.ts';
import { readBenchReport } from '../../../engine/bench/parse-bench-report.ts';
import { benchCompareDocument } from '../../report/bench-compare-document.ts';
import { renderText } from '../../report/render-text.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';

export const BENCH_COMPARE_SCHEMA = 'decode-harness/bench-compare@1';

const HELP = `decode-harness bench compare A.json B.json [--fail-if-slower PCT] [--json]
Side by side: every figure both reports measured for the same backend and model, with B/A
(two machines, or two commits on one machine). Noise is the larger coefficient of variation of
the two reports' raw samples.
  --fail-if-slower PCT  exit 1 when a pp/tg tokens/s figure of B is more than PCT percent below A.
                        A PCT under ${NOISE_FACTOR}× a figure's noise gets a warning: such a gate fails on noise alone.
  --json                print one ${BENCH_COMPARE_SCHEMA} object on stdout and nothing else there`;

export async function runBenchCompare(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length !== 2) {
    throw new UsageError(
      `\`decode-harness bench compare\` takes two reports, got ${positionals.length}: pass A.json B.json (written by \`decode-harness bench --out DIR\`)`,
    );
  }
  const threshold = thresholdOption(values['fail-if-slower']);
  const [a, b] = positionals.map(readBenchReport) as [
    ReturnType<typeof readBenchReport>,
    ReturnType<typeof readBenchReport>,
  ];
  const comparison = compareReports(a, b);
  if (comparison.figures.length === 0) {
    throw new UsageError(
      `${positionals[0]} and ${positionals[1]} share no (backend, model, test); bench the same backends and model with the same --prompt-tokens and --new-tokens`,
    );
  }
  const gate = threshold === null ? null : slowdownGate(comparison, threshold);
  const warnings =
    gate === null || threshold === null
      ? []
      : gate.tooNoisy.map(
          (f) =>
            `warning: --fail-if-slower ${threshold} is below ${NOISE_FACTOR}× the run-to-run noise of ${f.metric} for ${f.backendId} on ${f.model} ` +
            `(CV ${f.noisePercent?.toFixed(1)}% → ${NOISE_FACTOR}× = ${(NOISE_FACTOR * (f.noisePercent ?? 0)).toFixed(1)}%): the gate cannot tell noise from a regression; ` +
            `raise the threshold or lower the noise (more --repetitions, an idle machine, fixed --threads)`,
        );
  for (const line of warnings) process.stderr.write(`${line}\n`);
  const failing = gate?.failing ?? [];
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ schema: BENCH_COMPARE_SCHEMA, a: positionals[0], b: positionals[1], threshold, ...comparison, failing, warnings })}\n`,
    );
  } else {
    const verdict = threshold === null ? null : { threshold, failing };
    process.stdout.write(renderText(benchCompareDocument(a, b, comparison, verdict)));
  }
  return failing.length > 0 ? 1 : 0;
}

function parse(argv: readonly string[]) {
  return parseCommandArgs(
    'bench compare',
    argv,
    {
      ...COMMON_OPTIONS,
      'fail-if-slower': { type: 'string' },
    },
    true,
  );
}

function thresholdOption(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  return parseDecimal('--fail-if-slower', raw, { min: 0, max: 100, why: 'a percentage', example: '5' });
}
