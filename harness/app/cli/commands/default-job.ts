import { join } from 'node:path';
import { writeFilesAtomic } from '../../../core/io/atomic-write.ts';
import { checkOutputDir } from '../../../core/io/output-paths.ts';
import { projectPath } from '../../../core/project-root.ts';
import { resolveMainJobOptions } from '../../main-job/main-job-options.ts';
import { backendPassed } from '../../main-job/main-job-record.ts';
import { runMainJob } from '../../main-job/run-main-job.ts';
import { allBackendFactories } from '../../registry.ts';
import { mainJobDocument } from '../../report/main-job-document.ts';
import { renderHtml } from '../../report/render-html.ts';
import { renderMarkdown } from '../../report/render-markdown.ts';
import { renderText } from '../../report/render-text.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';
import { GRAPH_OPTIONS, GRAPH_OPTIONS_HELP, graphChoice } from '../graph-options.ts';

const HELP = `decode-harness [--model DIR|NAME] [--dtype D | --onnx FILE] [--backends ID,ID|all] [--require ID,ID|all] [--full] [--out DIR] [--json]
The main job: every backend on the model (default: the embedded tiny-gpt2) through the conformance
suite, greedy agreement with the reference (ts:f64 where model.safetensors holds the graph's weights,
else ort-node:cpu), the graph's golden cases and a quick timing.
Writes latest.json, latest.md and latest.html into --out (default reports/).

  --backends ID,ID|all  which backends to run (default all: every registered backend; those that
                        cannot run here are reported unavailable with the reason and the fix)
  --require ID,ID|all   backends that must run and pass: one that is unavailable or fails makes
                        the job exit 1 (default none)
  --full                every golden case on software GPU adapters too (SwiftShader: ~0.5 s a
                        step), instead of the representative subset (greedy, top-p, beam 2, beam 4)
${GRAPH_OPTIONS_HELP}
Exit 1 when a backend that ran failed or a required backend did not pass; 2 on bad input.`;

const REPORTS_DIR = projectPath('reports');

export async function runDefaultJob(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('', argv, {
    ...COMMON_OPTIONS,
    ...GRAPH_OPTIONS,
    model: { type: 'string', default: 'tiny-gpt2' },
    backends: { type: 'string' },
    require: { type: 'string' },
    full: { type: 'boolean' },
    out: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const options = resolveMainJobOptions(
    allBackendFactories().map((f) => f.id),
    values.backends,
    values.require,
    values.full ?? false,
  );
  const out = checkOutputDir('--out', values.out ?? REPORTS_DIR);
  const progress = (line: string) => process.stderr.write(`… ${line}\n`);
  const record = await runMainJob({
    model: values.model ?? 'tiny-gpt2',
    graph: graphChoice(values),
    options,
    onProgress: progress,
  });
  const doc = mainJobDocument(record);
  writeFilesAtomic(out, {
    'latest.json': `${JSON.stringify(record, null, 2)}\n`,
    'latest.md': renderMarkdown(doc),
    'latest.html': renderHtml(doc),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(record)}\n`);
  else process.stdout.write(`${renderText(doc)}\nreports: ${join(out, 'latest.{json,md,html}')}\n`);
  for (const outcome of record.backends) {
    if (!outcome.required || backendPassed(outcome)) continue;
    const why =
      outcome.status === 'unavailable'
        ? `is unavailable: ${outcome.reason}; fix: ${outcome.fix}`
        : outcome.status === 'error'
          ? `failed in ${outcome.error}`
          : 'ran and failed its checks (see the Notes of the report)';
    process.stderr.write(`decode-harness: required backend ${outcome.id} ${why}\n`);
  }
  return record.passed ? 0 : 1;
}
