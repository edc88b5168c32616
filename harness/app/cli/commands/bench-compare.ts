import { UsageError } from '../../../core/errors.ts';
import { writeFilesAtomic } from '../../../core/io/atomic-write.ts';
import { checkOutputDir } from '../../../core/io/output-paths.ts';
import { parseDecimal } from '../../../core/parse-decimal.ts';
import { ranResults } from '../../../engine/bench/bench-rows.ts';
import {
  ALPHA,
  checkComparable,
  compareReports,
  type LabelledReport,
  slowdownGate,
} from '../../../engine/bench/compare-reports.ts';
import { readBenchReport } from '../../../engine/bench/parse-bench-report.ts';
import { poolReports } from '../../../engine/bench/pool-reports.ts';
import { benchCompareDocument } from '../../report/bench-compare-document.ts';
import { renderHtml } from '../../report/render-html.ts';
import { renderMarkdown } from '../../report/render-markdown.ts';
import { renderText } from '../../report/render-text.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';

export const BENCH_COMPARE_SCHEMA = 'decode-harness/bench-compare@2';

const HELP = `decode-harness bench compare A.json[,A2.json…] B.json[,B2.json…] [C.json …] [--fail-if-slower PCT] [--json] [--out DIR]
Side by side: every figure the reports measured for the same backend, model, batch and context,
each report against A (two machines, or commits on one machine): medians, the ratio, and whether
the difference exceeds the two reports' combined noise, by the two-sided Mann–Whitney U test on the
raw samples (exact for up to 60 samples): "slower"/"faster" only at p < ${ALPHA}, "cannot tell"
otherwise. 3 + 3 repetitions can never reach p < ${ALPHA}; 5 + 5 can (0.008).
Repetitions in one process share what that process got (where its weights landed, the load of
that minute), so two identical runs can differ beyond either run's spread: for a gate, run each side
in two or more processes and give them comma-separated; their samples are pooled.
  --fail-if-slower PCT  exit 1 when a pp/tg tokens/s figure of a report is told slower than A's
                        (p < ${ALPHA}) and its median is more than PCT percent below A's; a figure more
                        than PCT slower that the test cannot tell from noise is listed, not failed
  --gate-on wall|cpu-time  what the gate judges a single-threaded in-process backend's figures by
                        (wall); cpu-time: their process CPU time, which other work on a shared
                        machine barely moves (the other backends stay on wall time)
  --json                print one ${BENCH_COMPARE_SCHEMA} object on stdout and nothing else there
  --out DIR             also write compare.json, compare.md and compare.html (a chart of the ratios
                        with their noise) there
Reports of another schema version, of different files under one model name, or of another
--strategy are refused (exit 2).`;

export async function runBenchCompare(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'bench compare',
    argv,
    {
      ...COMMON_OPTIONS,
      'fail-if-slower': { type: 'string' },
      'gate-on': { type: 'string' },
      out: { type: 'string' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length < 2) {
    throw new UsageError(
      `\`decode-harness bench compare\` takes two or more reports, got ${positionals.length}: pass A.json B.json [C.json …] (written by \`decode-harness bench --out DIR\`)`,
    );
  }
  const threshold = thresholdOption(values['fail-if-slower']);
  const out = values.out === undefined ? null : checkOutputDir('--out', values.out);
  const reports = positionals.map((arg, i) =>
    side(String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : ''), arg),
  );
  const comparison = compareReports(reports);
  if (comparison.figures.length === 0) {
    const models = reports
      .map(
        (r) =>
          `${r.label} ${[...new Set(ranResults(r.report).map((x) => x.model.name))].join('+') || 'nothing that ran'}`,
      )
      .join(', ');
    throw new UsageError(
      `${positionals.join(' and ')} share no (backend, model, batch, context) (${models}); bench the same backends and models with the same sweep values and --new-tokens`,
    );
  }
  const on = gateOn(values['gate-on'], threshold);
  const gate = threshold === null ? null : slowdownGate(comparison, threshold, on);
  const doc = benchCompareDocument(reports, comparison, gate);
  const json = {
    schema: BENCH_COMPARE_SCHEMA,
    reports: reports.map(({ label, path }) => ({ label, path })),
    test: { name: 'Mann–Whitney U, two-sided', alpha: ALPHA },
    ...comparison,
    gate,
  };
  if (out !== null) {
    writeFilesAtomic(out, {
      'compare.json': `${JSON.stringify(json, null, 2)}\n`,
      'compare.md': renderMarkdown(doc),
      'compare.html': renderHtml(doc),
    });
  }
  if (values.json) process.stdout.write(`${JSON.stringify(json)}\n`);
  else process.stdout.write(renderText(doc));
  return (gate?.failing.length ?? 0) > 0 ? 1 : 0;
}

/** One side: a report, or runs of one command in separate processes (`a1.json,a2.json`), pooled. */
function side(label: string, arg: string): LabelledReport {
  const paths = arg.split(',').filter((p) => p.length > 0);
  const runs = paths.map((path) => ({ label, path, report: readBenchReport(path) }));
  for (const run of runs.slice(1)) checkComparable(runs[0]!, run);
  return { label, path: paths.join('+'), report: poolReports(runs.map((r) => r.report)) };
}

function gateOn(raw: string | undefined, threshold: number | null): 'wall' | 'cpu-time' {
  if (raw === undefined) return 'wall';
  if (threshold === null)
    throw new UsageError(
      `--gate-on ${raw} chooses what --fail-if-slower judges; give --fail-if-slower PCT too`,
    );
  if (raw === 'wall' || raw === 'cpu-time') return raw;
  throw new UsageError(`--gate-on ${JSON.stringify(raw)} is not wall or cpu-time; e.g. --gate-on cpu-time`);
}

function thresholdOption(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  return parseDecimal('--fail-if-slower', raw, { min: 0, max: 100, why: 'a percentage', example: '5' });
}
