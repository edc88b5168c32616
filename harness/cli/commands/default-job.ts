import { join } from 'node:path';
import { runMainJob } from '../../main-job/run-main-job.ts';
import { writeFileAtomic } from '../../report/atomic-write.ts';
import { renderMainJobHtml, renderMainJobMarkdown, renderMainJobText } from '../../report/render-main-job.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';

const HELP = `decode-harness [--model DIR|NAME] [--out DIR] [--json]
The main job: every backend on the model (default: the embedded tiny-gpt2) through the conformance
suite, greedy agreement with the ts:f64 reference and a quick timing. Writes latest.json, latest.md
and latest.html into --out (default reports/). Exit 1 when any backend that ran fails.`;

const REPORTS_DIR = new URL('../../../reports', import.meta.url).pathname;

export async function runDefaultJob(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('', argv, {
    ...COMMON_OPTIONS,
    model: { type: 'string', default: 'tiny-gpt2' },
    out: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const progress = (line: string) => process.stderr.write(`… ${line}\n`);
  const record = await runMainJob(values.model ?? 'tiny-gpt2', progress);
  const out = values.out ?? REPORTS_DIR;
  writeFileAtomic(join(out, 'latest.json'), `${JSON.stringify(record, null, 2)}\n`);
  writeFileAtomic(join(out, 'latest.md'), renderMainJobMarkdown(record));
  writeFileAtomic(join(out, 'latest.html'), renderMainJobHtml(record));
  if (values.json) process.stdout.write(`${JSON.stringify(record)}\n`);
  else process.stdout.write(`${renderMainJobText(record)}\nreports: ${join(out, 'latest.{json,md,html}')}\n`);
  return record.passed ? 0 : 1;
}
