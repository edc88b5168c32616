import type { MicroResult } from '../bench-targets/micro/micro-result.ts';
import { type Cell, num } from './cells.ts';
import type { ReportDocument } from './document.ts';

/** `bench micro`: one table per group (kernels, processors) of tinybench's figures per task. */
export function microDocument(timeMs: number, groups: Readonly<Record<string, readonly MicroResult[]>>) {
  return {
    title: 'decode-harness bench micro',
    blocks: [
      {
        kind: 'lines',
        lines: [`tinybench, ${timeMs} ms per task after warm-up; mean latency ± 95% margin of error`],
      },
      ...Object.entries(groups).flatMap(([name, rows]) => [
        { kind: 'heading' as const, text: name },
        {
          kind: 'table' as const,
          header: ['task', 'mean ms', '±', 'samples', 'f32 speed-up'],
          rows: microRows(rows),
        },
      ]),
    ],
  } satisfies ReportDocument;
}

/** Task, mean, margin, samples; a naive twin's row also says how much faster the fast kernel is. */
function microRows(rows: readonly MicroResult[]): Cell[][] {
  const meanOf = new Map(rows.flatMap((r) => (r.state === 'completed' ? [[r.name, r.meanMs] as const] : [])));
  return rows.map((r) => {
    if (r.state === 'errored') return [r.name, 'error', r.error, '', ''];
    const fast = r.name.endsWith(' f64 naive')
      ? meanOf.get(r.name.replace(/ f64 naive$/, ' f32'))
      : undefined;
    return [
      r.name,
      num(r.meanMs, r.meanMs < 1 ? 4 : 2, { unit: 'ms' }),
      num(r.rmePercent, 1, { unit: '%' }),
      num(r.samples, 0),
      fast === undefined ? '' : num(r.meanMs / fast, 1, { unit: '×' }),
    ];
  });
}
