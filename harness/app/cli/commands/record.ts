import { checkOutputDir } from '../../../core/io/output-paths.ts';
import { loadCaseList } from '../../../engine/golden/case-list.ts';
import { DEFAULT_CASE_LIST, defaultGoldenDir } from '../../../engine/golden/golden-dir.ts';
import { goldenProvenance } from '../../../engine/golden/provenance.ts';
import { type RecordedCase, runRecord } from '../../../engine/golden/run-record.ts';
import { modelIdentity } from '../../../engine/model/model-identity.ts';
import { loadTokenizer } from '../../../engine/model/tokenizer.ts';
import { loadModelDir } from '../../../engine/model-gen/load-model-dir.ts';
import {
  createBackend,
  GRAPH_REFERENCE_BACKEND_ID,
  REFERENCE_BACKEND_ID,
  referenceIdFor,
} from '../../registry.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';
import { GRAPH_OPTIONS, GRAPH_OPTIONS_HELP, graphChoice } from '../graph-options.ts';

const HELP = `decode-harness record [--model DIR|NAME] [--dtype D | --onnx FILE] [--golden DIR] [--cases FILE] [--yes]
Runs every case of the case list on the reference backend (${REFERENCE_BACKEND_ID}; ${GRAPH_REFERENCE_BACKEND_ID} on the graph
itself where ${REFERENCE_BACKEND_ID} cannot compute it: a variant, an ONNX-only dir) and writes one golden file per case
into --golden (default fixtures/golden/<model name>/, …/<dtype>/ for a variant). The case list (default
fixtures/golden/cases.json) is shared by every model. Goldens are never hand-edited.

A golden that already exists is compared with the fresh recording (provenance aside): unchanged
files are left alone; a changed one is written only with --yes, otherwise its diff is printed and
the command exits 1. Writes are atomic (temp file + rename).
${GRAPH_OPTIONS_HELP}`;

const STATUS_TEXT: Record<RecordedCase['status'], string> = {
  new: 'written (new)',
  unchanged: 'unchanged',
  changed: 'CHANGED, not written',
  accepted: 'changed, written (--yes)',
};

export async function runRecordCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('record', argv, {
    help: COMMON_OPTIONS.help,
    verbose: COMMON_OPTIONS.verbose,
    model: { type: 'string', default: 'tiny-gpt2' },
    ...GRAPH_OPTIONS,
    golden: { type: 'string' },
    cases: { type: 'string' },
    yes: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.golden !== undefined) checkOutputDir('--golden', values.golden);
  const modelArg = values.model ?? 'tiny-gpt2';
  const cases = loadCaseList(values.cases ?? DEFAULT_CASE_LIST);
  const model = await loadModelDir(modelArg, graphChoice(values));
  const goldenDir = values.golden ?? defaultGoldenDir(model.name, model.graph);
  const referenceId = referenceIdFor(model);
  const reference = await createBackend(referenceId, model);
  try {
    const outcome = await runRecord({
      model,
      identity: await modelIdentity(model),
      tokenizer: await loadTokenizer(model),
      reference,
      cases,
      goldenDir,
      provenance: goldenProvenance(reference.info, ['record', ...argv]),
      accept: values.yes ?? false,
      onCase: (c) => {
        process.stderr.write(`${c.id}: ${STATUS_TEXT[c.status]}\n`);
        for (const line of c.diff) process.stderr.write(`  ${line}\n`);
      },
    });
    for (const name of outcome.stale) {
      process.stderr.write(
        `${name}: no case in the list produces it any more; delete it or add the case back\n`,
      );
    }
    const count = (status: RecordedCase['status']) => outcome.cases.filter((c) => c.status === status).length;
    process.stdout.write(
      `${outcome.cases.length} cases for ${model.name} (${model.graph.file}) on ${referenceId} into ${goldenDir}: ` +
        `${count('new')} new, ${count('unchanged')} unchanged, ${count('accepted')} changed and written, ` +
        `${count('changed')} changed and not written\n`,
    );
    if (outcome.refused) {
      process.stderr.write(
        'decode-harness: some goldens changed (diff above); re-run with --yes to accept\n',
      );
      return 1;
    }
    return 0;
  } finally {
    await reference.dispose();
  }
}
