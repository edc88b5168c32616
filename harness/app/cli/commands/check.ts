import { UsageError } from '../../../core/errors.ts';
import { writeFileAtomic } from '../../../core/io/atomic-write.ts';
import { checkOutputFile } from '../../../core/io/output-paths.ts';
import { defaultGoldenDir, readGoldenDir } from '../../../engine/golden/golden-dir.ts';
import { runCheck } from '../../../engine/golden/run-check.ts';
import { loadModelDir } from '../../../engine/model-gen/load-model-dir.ts';
import { allBackendFactories, backendFactory, resolveBackendIds } from '../../registry.ts';
import { checkDocument } from '../../report/check-document.ts';
import { renderJunit } from '../../report/junit.ts';
import { renderMarkdown } from '../../report/render-markdown.ts';
import { renderText } from '../../report/render-text.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';
import { GRAPH_OPTIONS, GRAPH_OPTIONS_HELP, graphChoice } from '../graph-options.ts';

const HELP = `decode-harness check [--model DIR|NAME] [--dtype D | --onnx FILE] [--backends ID,ID|all] [--golden DIR] [--junit FILE] [--json|--md]
Runs every golden of --golden (default fixtures/golden/<model name>/, …/<dtype>/ for a variant) on
each backend (default: all available). A case passes when its tokens equal the golden's, or part at a decision the golden
recorded as within float noise (labelled near-tie or cdf-boundary), and the teacher-forced logprobs
along the golden path stay within the golden's tolerance for the backend's dtype.
--json prints one schema-tagged object (decode-harness/check@1); --md prints the report as Markdown
(for a CI job summary: >> "$GITHUB_STEP_SUMMARY"); --junit FILE writes JUnit XML
(one testsuite per backend, one testcase per case).
Exit 0 all pass, 1 a mismatch, 2 bad usage or input (no goldens, goldens of another model).
${GRAPH_OPTIONS_HELP}`;

export async function runCheckCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('check', argv, {
    ...COMMON_OPTIONS,
    model: { type: 'string', default: 'tiny-gpt2' },
    ...GRAPH_OPTIONS,
    backends: { type: 'string', default: 'all' },
    golden: { type: 'string' },
    junit: { type: 'string' },
    md: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.json && values.md) throw new UsageError('--json and --md both print on stdout; pick one');
  if (values.junit !== undefined) checkOutputFile('--junit', values.junit);
  const modelArg = values.model ?? 'tiny-gpt2';
  const model = await loadModelDir(modelArg, graphChoice(values));
  const goldenDir = values.golden ?? defaultGoldenDir(model.name, model.graph);
  const goldens = readGoldenDir(goldenDir, modelArg);
  const backendList = values.backends ?? 'all';
  const backendIds = await resolveBackendIds(backendList);
  // `all` means every available backend; say which were left out and why, never silently.
  for (const factory of backendList === 'all' ? allBackendFactories() : []) {
    const availability = await factory.availability();
    if (!availability.available) process.stderr.write(`skipped ${factory.id}: ${availability.reason}\n`);
  }
  const report = await runCheck({
    model,
    modelArg,
    goldenDir,
    goldens,
    backends: backendIds.map(backendFactory),
    onCase: (c) => process.stderr.write(`… ${c.backend} ${c.case}: ${c.passed ? 'pass' : 'FAIL'}\n`),
  });
  if (values.junit !== undefined) writeFileAtomic(values.junit, renderJunit(report));
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write((values.md ? renderMarkdown : renderText)(checkDocument(report)));
  return report.passed ? 0 : 1;
}
