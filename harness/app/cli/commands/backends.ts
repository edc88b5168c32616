import { type GraphSupport, graphSupport } from '../../graph-support.ts';
import { allBackendFactories } from '../../registry.ts';
import { type BackendEntry, backendsDocument } from '../../report/backends-document.ts';
import { renderText } from '../../report/render-text.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';

const HELP = `decode-harness backends [--model DIR|NAME] [--json]
Every backend id, whether it can run here, and why not. With --model: every graph variant of the
model dir (onnx/model.onnx, model_q4.onnx, …) with its dtype, size and sha256, and whether each
backend available here runs it (each is opened on each graph; a browser backend takes a few
seconds a graph), or why not.`;

export async function runBackends(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('backends', argv, { ...COMMON_OPTIONS, model: { type: 'string' } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const factories = allBackendFactories();
  const entries: BackendEntry[] = [];
  for (const factory of factories) {
    entries.push({ id: factory.id, summary: factory.summary, ...(await factory.availability()) });
  }
  let support: Awaited<ReturnType<typeof graphSupport>> | undefined;
  if (values.model !== undefined) {
    const available = factories.filter((f) => entries.find((e) => e.id === f.id)?.available);
    support = await graphSupport(values.model, available, (line) => process.stderr.write(`… ${line}\n`));
  }
  if (values.json) {
    const graphs: readonly GraphSupport[] | undefined = support?.graphs;
    process.stdout.write(
      `${JSON.stringify({ schema: 'decode-harness/backends@1', backends: entries, ...(support ? { model: support.model, graphs } : {}) })}\n`,
    );
    return 0;
  }
  process.stdout.write(renderText(backendsDocument(entries, support)));
  return 0;
}
