import type { TargetRun } from '../bench-targets/run-targets.ts';
import type { TargetOutcome } from '../bench-targets/targets-table.ts';
import { formatNumber, type NumberCell, num } from './cells.ts';
import type { ReportBlock, ReportDocument } from './document.ts';

/** A ratio as its target shows it: `1.014×`, or `3.80%` for a share (target 3). */
const shown = (x: number, percent: boolean): NumberCell =>
  percent ? num(100 * x, 2, { unit: '%' }) : num(x, 3, { unit: '×' });

/**
 * The targets table (`npm run bench`): how the run was measured, one row per target with its
 * ratio, range over rounds, CPU-time ratio, goal and result, then the figures behind each ratio
 * and, for a miss, what limits it.
 */
export function targetsDocument(run: TargetRun, outcomes: readonly TargetOutcome[]): ReportDocument {
  const s = run.settings;
  const blocks: ReportBlock[] = [
    {
      kind: 'lines',
      lines: [
        `targets on ${s.model}: batch 1, ${s.promptTokens}-token prompt, ${s.newTokens} new tokens, ${s.threads} intra-op thread(s) for targets 1–4 and ${s.parallelThreads} for ts:f32 and its peers (5, 5w), ` +
          `${s.rounds} rounds (lane order reversed every round), median of per-round ratios of wall-clock medians; ` +
          'the CPU-time ratio (process CPU time of the same work, V8 background GC included) is the steadier estimate on a shared machine',
        `machine: ${run.machine.cpuModel} × ${run.machine.logicalCores}, node ${run.machine.node}, commit ${run.machine.gitCommit ?? 'n/a'}; ${run.createdAt}`,
      ],
    },
    {
      kind: 'table',
      header: ['#', 'target', 'measured', 'range over rounds', 'CPU-time ratio', 'goal', 'result'],
      rows: outcomes.map((o) => [
        o.id,
        o.what,
        o.ratio === null ? '—' : shown(o.ratio, o.percent),
        o.range === null
          ? ''
          : `${formatNumber(shown(o.range[0], o.percent))} … ${formatNumber(shown(o.range[1], o.percent))}`,
        o.cpuRatio === null ? '' : shown(o.cpuRatio, o.percent),
        `${o.goal.op} ${formatNumber(shown(o.goal.value, o.percent))}`,
        `${o.status.toUpperCase()}${o.withinNoise ? ' (within noise)' : ''}`,
      ]),
    },
    { kind: 'lines', lines: outcomes.map((o) => `${o.id}: ${o.detail}`) },
  ];
  if (outcomes.some((o) => o.withinNoise)) {
    blocks.push({
      kind: 'lines',
      lines: [
        '(within noise): the per-round ratios fall on both sides of the goal, so this run cannot tell pass from miss',
      ],
    });
  }
  return { title: 'decode-harness bench targets', blocks };
}
