import type { BisectRecord, InputSource, NodeRow } from '../../engine/bisect/bisect-record.ts';
import { GROWTH_FLAG } from '../../engine/bisect/node-comparison.ts';
import { num } from './cells.ts';
import type { Cell, ReportBlock, ReportDocument } from './document.ts';

/** What an input with no measured error is, in the parting node's lines. */
const INPUT_SOURCES: Readonly<Record<InputSource, string>> = {
  'graph input': 'a graph input, the same on both sides',
  initializer: 'an initializer, the same in both graphs',
  'initializer that differs': 'an initializer the two graphs hold DIFFERENTLY',
  node: 'a node output',
  'not exposed': 'computed by a node not exposed (--nodes), not compared',
};

const exp = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));
const label = (r: { order: number; node: NodeRow['node'] }) => `#${r.order} ${r.node.opType} ${r.node.name}`;

/** bisect's report: where along the graph two sides part, node by node. */
export function bisectDocument(record: BisectRecord): ReportDocument {
  const verdict = record.parting ? `parts at ${label(record.parting)}` : 'no node parts';
  return {
    title: `decode-harness bisect — ${record.tested.backend.id} vs ${record.reference.backend.id}: ${verdict}`,
    blocks: bisectBlocks(record),
  };
}

function bisectBlocks(record: BisectRecord): ReportBlock[] {
  return [
    { kind: 'lines', lines: contextLines(record) },
    { kind: 'lines', lines: findingLines(record), unwrapped: true },
    { kind: 'plot', plot: nmsePlot(record) },
    { kind: 'heading', text: 'Node by node (reference graph order)' },
    {
      kind: 'table',
      header: ['#', 'op', 'node', 'output shape', 'max |Δ|', 'NMSE', 'scale', 'growth', 'flags'],
      rows: record.rows.map(nodeCells),
      footnotes: [
        "max |Δ| and NMSE (Σ(tested − reference)² / Σ reference²) over the node's exposed outputs; scale: max |reference|",
        `growth: the node's relative error (√NMSE) over the largest of its compared inputs' (or one rounding of ${record.toleranceDtype}); "grows" above ${GROWTH_FLAG}× means this node made the error rather than inherited it`,
      ],
    },
  ];
}

function contextLines(record: BisectRecord): string[] {
  const side = (name: string, s: BisectRecord['tested']) =>
    `${name}: ${s.backend.id} (${s.backend.executionProvider}, ${s.backend.device}) on ${s.graph.file} (${s.graph.bytes} bytes, sha256 ${s.graph.sha256.slice(0, 12)})`;
  const pass =
    record.step === 0
      ? `the prefill of ${record.prompt.ids.length} prompt tokens`
      : `cached step ${record.step} (token ${record.passTokens[0]}), after the reference's greedy tokens ${record.stepTokens.join(', ')}`;
  return [
    `model: ${record.model.name} (${record.model.path})`,
    side('tested', record.tested),
    side('reference', record.reference),
    `prompt: ${JSON.stringify(record.prompt.text)} → ${record.prompt.ids.length} tokens; bisected pass: ${pass}`,
    record.cache === 'own'
      ? `each side carried its own KV cache from the prefill (--cache own; the caches differ by NMSE up to ${exp(record.pastError)}) along the reference's tokens, so the errors below include what earlier passes left in the cache`
      : "both sides read the same inputs (the prompt, the reference's tokens and KV cache), so every difference below is made in this pass",
    `nodes compared: ${record.rows.length}${record.nodesPattern === null ? '' : ` (--nodes ${JSON.stringify(record.nodesPattern)})`}; exposed tensors held: ${(record.exposedBytes / 2 ** 20).toFixed(1)} MiB`,
    `parted: NMSE above ${record.nmseLimit} (${record.nmseLimitSource}), a shape that differs, or an integer output that differs`,
  ];
}

function findingLines(record: BisectRecord): string[] {
  const lines: string[] = [];
  const p = record.parting;
  if (p === null) {
    const worst = record.rows.reduce<NodeRow | null>((a, b) => (a === null || b.nmse > a.nmse ? b : a), null);
    lines.push(
      worst === null
        ? 'no node parts: nothing was compared'
        : `no node parts: the largest NMSE is ${exp(worst.nmse)} at ${label(worst)}, below the limit ${record.nmseLimit}`,
    );
  } else {
    const w = p.worst;
    lines.push(
      `first parting node: ${label(p)} — output ${w.name} [${w.dims.join(', ')}] ${w.type}: NMSE ${exp(w.nmse)} (limit ${record.nmseLimit}), max |Δ| ${exp(w.maxAbsDiff)}`,
    );
    if (w.worst !== null) {
      lines.push(
        `  worst element [${w.worst.index.join(', ')}]: tested ${w.worst.tested} vs reference ${w.worst.reference}`,
      );
    }
    for (const i of p.inputs) {
      lines.push(
        i.nmse === null
          ? `  input ${i.name}: ${INPUT_SOURCES[i.source]}`
          : `  input ${i.name}${i.source === 'graph input' ? ' (graph input, from each side’s own cache)' : ''}: NMSE ${exp(i.nmse)}, max |Δ| ${exp(i.maxAbsDiff ?? 0)}`,
      );
    }
  }
  const o = record.firstOverflow;
  lines.push(
    o === null
      ? 'float16 overflow: none (no ±Inf, NaN or saturated ±65504 where the other side is finite)'
      : `float16 overflow: first at ${label(o)} — ${o.overflow.name}[${o.overflow.index.join(', ')}] is ${o.overflow.side === 'tested' ? o.overflow.tested : o.overflow.reference} on the ${o.overflow.side} side where the other holds ${o.overflow.side === 'tested' ? o.overflow.reference : o.overflow.tested} (${o.overflow.count} elements)`,
  );
  const grows = record.rows.filter((r) => r.grows);
  if (grows.length > 0) {
    lines.push(
      `error grows at ${grows.length} node${grows.length === 1 ? '' : 's'}: ${grows.slice(0, 5).map(label).join(', ')}${grows.length > 5 ? ', …' : ''}`,
    );
  }
  const x = record.exposure;
  lines.push(
    `logits: NMSE ${exp(x.exposedLogits.nmse)} (max |Δ| ${exp(x.exposedLogits.maxAbsDiff)}) with every tensor exposed, ${exp(x.plainLogits.nmse)} (max |Δ| ${exp(x.plainLogits.maxAbsDiff)}) on the graphs as shipped; exposing moved the tested side's logits by ${exp(x.testedShift)} and the reference's by ${exp(x.referenceShift)} (onnxruntime cannot fuse across an exposed tensor)`,
  );
  if (record.parting === null && x.plainLogits.nmse > record.nmseLimit) {
    lines.push(
      `the graphs as shipped part (logits NMSE ${exp(x.plainLogits.nmse)} > ${record.nmseLimit}) though no exposed node does: the difference is inside a fused kernel; expose fewer tensors (--nodes) to let the fusion happen around the suspect nodes`,
    );
  }
  if (record.mode === 'graphs') {
    for (const [side, nodes] of Object.entries(record.unmatched)) {
      if (nodes.length === 0) continue;
      lines.push(
        `${nodes.length} ${side} node${nodes.length === 1 ? '' : 's'} without a counterpart (no shared output name): ${nodes
          .slice(0, 8)
          .map((n) => `${n.opType} ${n.name}`)
          .join(', ')}${nodes.length > 8 ? ', …' : ''}`,
      );
    }
  }
  return lines;
}

function nodeCells(row: NodeRow): Cell[] {
  const flags = [
    row.parted ? 'PARTS' : '',
    row.grows ? 'grows' : '',
    row.overflow ? 'f16 overflow' : '',
    ...row.mismatches.map((m) => `shape ${m}`),
  ].filter((f) => f !== '');
  const dims = row.outputs[0]?.dims;
  return [
    String(row.order),
    row.node.opType,
    row.node.name,
    dims === undefined ? '' : `[${dims.join(', ')}]`,
    num(row.maxAbsDiff, 2, { notation: 'exp' }),
    num(row.nmse, 2, { notation: 'exp' }),
    num(row.scale, 2, { notation: 'exp' }),
    row.growth === null ? '–' : row.growth.toFixed(1),
    flags.join(', '),
  ];
}

/**
 * log10 NMSE on a linear axis: NMSE spans 1e-30 (float64 pairs) to 1, beyond what a log axis can
 * split into ticks; a node with no error has no point.
 */
function nmsePlot(record: BisectRecord) {
  return {
    id: 'plot-nmse',
    title: 'log10 NMSE per node along the graph (nodes with no error left out)',
    xLabel: 'node, in graph order',
    yLabel: 'log10 NMSE',
    yScale: 'linear' as const,
    x: record.rows.map((r) => r.order),
    series: [
      {
        label: `${record.tested.backend.id} vs ${record.reference.backend.id}`,
        style: 'line' as const,
        values: record.rows.map((r) => (r.nmse > 0 && Number.isFinite(r.nmse) ? Math.log10(r.nmse) : null)),
      },
    ],
    limits:
      record.nmseLimit > 0
        ? [{ label: `parting limit ${record.nmseLimit}`, value: Math.log10(record.nmseLimit) }]
        : [],
  };
}
