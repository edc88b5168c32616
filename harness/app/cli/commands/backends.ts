import { allBackendFactories } from '../../registry.ts';
import { formatTable } from '../../report/render-text.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';

export async function runBackends(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('backends', argv, COMMON_OPTIONS);
  if (values.help) {
    process.stdout.write(
      'decode-harness backends [--json]\nEvery backend id, whether it can run here, and why not.\n',
    );
    return 0;
  }
  const entries = [];
  for (const factory of allBackendFactories()) {
    const availability = await factory.availability();
    entries.push({ id: factory.id, summary: factory.summary, ...availability });
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ schema: 'decode-harness/backends@1', backends: entries })}\n`);
    return 0;
  }
  const rows = entries.map((e) => [
    e.id,
    e.available ? 'yes' : 'no',
    e.available ? e.summary : `${e.reason}. Fix: ${e.fix}`,
  ]);
  process.stdout.write(`${formatTable(['backend', 'available', 'notes'], rows)}\n`);
  return 0;
}
