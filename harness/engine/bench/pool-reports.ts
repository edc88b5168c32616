import { summarize } from '../../core/statistics.ts';
import type { BenchRan, BenchReport, BenchResult, ThroughputFigure } from './bench-record.ts';
import { ranResults } from './bench-rows.ts';

/**
 * Several runs of one command (separate processes) as one side of a comparison: each figure's
 * raw samples concatenated and summarised again. Repetitions inside one process share whatever
 * that process got (where its weights landed, its JIT's choices, the load of that minute), so two
 * identical runs can differ by more than either run's own spread; pooled, that difference becomes
 * spread the rank test sees. A result absent from any run is left out; single values (ITL
 * percentiles, peak RSS) are the first run's. The machine record and settings are the first run's.
 */
export function poolReports(reports: readonly BenchReport[]): BenchReport {
  const [first, ...rest] = reports;
  if (first === undefined) throw new Error('poolReports: no report');
  if (rest.length === 0) return first;
  const keyOf = (r: BenchRan) =>
    `${r.backend.id}\u0000${r.model.name}\u0000${r.model.sha256}\u0000${r.point.batch}\u0000${r.point.contextTokens}\u0000${r.decode.test}`;
  const others = rest.map((report) => new Map(ranResults(report).map((r) => [keyOf(r), r])));
  const noisyCv = first.settings.noisyCv;
  const results = first.results.flatMap((result): BenchResult[] => {
    if (result.status !== 'ran') return [result];
    const same = others.map((m) => m.get(keyOf(result)));
    if (same.some((r) => r === undefined)) return [];
    const all = [result, ...(same as BenchRan[])];
    const pool = (pick: (r: BenchRan) => { readonly samples: readonly number[] }) =>
      summarize(all.flatMap((r) => pick(r).samples));
    const figure = <F extends ThroughputFigure>(pick: (r: BenchRan) => F): F => {
      const tokensPerSec = pool((r) => pick(r).tokensPerSec);
      const cpu = all.map((r) => pick(r).cpuTokensPerSec);
      return {
        ...pick(result),
        tokensPerSec,
        noisy: tokensPerSec.cv > noisyCv,
        cpuTokensPerSec: cpu.every((c) => c !== null) ? summarize(cpu.flatMap((c) => c!.samples)) : null,
      };
    };
    return [
      {
        ...result,
        prefill: figure((r) => r.prefill),
        decode: figure((r) => r.decode),
        timeToFirstTokenMs: pool((r) => r.timeToFirstTokenMs),
        choiceMsPerStep: pool((r) => r.choiceMsPerStep),
        tokenizeMs: pool((r) => r.tokenizeMs),
        detokenizeMs: pool((r) => r.detokenizeMs),
      },
    ];
  });
  return { ...first, results, warnings: reports.flatMap((r) => r.warnings) };
}
