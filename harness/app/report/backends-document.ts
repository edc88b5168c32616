import type { Availability } from '../../core/backend/contract.ts';
import type { GraphSupport } from '../graph-support.ts';
import { describeGraph } from './describe-graph.ts';
import { footnoteRef, type ReportBlock, type ReportDocument } from './document.ts';

export type BackendEntry = { readonly id: string; readonly summary: string } & Availability;

/**
 * `decode-harness backends`: every backend, whether it can run here and why not; with --model, one
 * row per graph of the model dir and, per backend available here, whether it runs that graph.
 */
export function backendsDocument(
  entries: readonly BackendEntry[],
  support?: {
    readonly model: { readonly name: string; readonly path: string };
    readonly graphs: readonly GraphSupport[];
  },
): ReportDocument {
  const blocks: ReportBlock[] = [
    {
      kind: 'table',
      header: ['backend', 'available', 'notes'],
      rows: entries.map((e) => [
        e.id,
        e.available ? 'yes' : 'no',
        e.available ? e.summary : `${e.reason}. Fix: ${e.fix}`,
      ]),
    },
  ];
  if (support !== undefined) blocks.push(...graphBlocks(entries, support));
  return { title: 'decode-harness backends', blocks };
}

function graphBlocks(
  entries: readonly BackendEntry[],
  support: {
    readonly model: { readonly name: string; readonly path: string };
    readonly graphs: readonly GraphSupport[];
  },
): ReportBlock[] {
  const ids = entries.filter((e) => e.available).map((e) => e.id);
  const footnotes: string[] = [];
  // One note per distinct reason, shared by every cell it explains.
  const noteFor = (text: string): string => {
    const index = footnotes.indexOf(text);
    if (index >= 0) return footnoteRef(index + 1);
    footnotes.push(text);
    return footnoteRef(footnotes.length);
  };
  const rows = support.graphs.map(({ graph, verdicts }) => [
    graph.dtype ?? 'custom',
    describeGraph(graph),
    ...ids.map((id) => {
      const verdict = verdicts[id];
      if (verdict === undefined || verdict.status === 'runs') return 'runs';
      if (verdict.status === 'unavailable')
        return `no ${noteFor(`${id}: ${verdict.reason}. Fix: ${verdict.fix}`)}`;
      return `error ${noteFor(`${id}: ${verdict.error}`)}`;
    }),
  ]);
  return [
    { kind: 'heading', text: `Graphs of ${support.model.name} (${support.model.path})` },
    {
      kind: 'lines',
      lines: ['each backend available here opened on each graph (placements checked), nothing decoded'],
    },
    { kind: 'table', header: ['dtype', 'graph', ...ids], rows, footnotes },
  ];
}
