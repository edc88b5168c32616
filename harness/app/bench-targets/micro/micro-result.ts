import { Bench, type Task } from 'tinybench';

/** One tinybench task's outcome, as a discriminated union (tinybench's own style). */
export type MicroResult =
  | {
      readonly state: 'completed';
      readonly name: string;
      /** Mean latency per call, milliseconds. */
      readonly meanMs: number;
      /** Relative margin of error of the mean (95%), percent. */
      readonly rmePercent: number;
      readonly samples: number;
    }
  | { readonly state: 'errored'; readonly name: string; readonly error: string };

/** A task: its function and, optionally, per-iteration setup outside the timing (fresh inputs). */
export interface MicroTask {
  readonly name: string;
  readonly fn: () => void;
  readonly beforeEach?: () => void;
}

/** Run tasks with tinybench for `timeMs` each (after its warm-up) and collect their results. */
export async function runMicro(tasks: readonly MicroTask[], timeMs: number): Promise<MicroResult[]> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(timeMs, 200), throws: false });
  for (const task of tasks) {
    bench.add(task.name, task.fn, task.beforeEach ? { beforeEach: task.beforeEach } : {});
  }
  await bench.run();
  return bench.tasks.map(resultOf);
}

function resultOf(task: Task): MicroResult {
  const r = task.result;
  if (r.state === 'completed') {
    return {
      state: 'completed',
      name: task.name,
      meanMs: r.latency.mean,
      rmePercent: r.latency.rme,
      samples: r.latency.samplesCount,
    };
  }
  if (r.state === 'errored') return { state: 'errored', name: task.name, error: r.error.message };
  return { state: 'errored', name: task.name, error: `tinybench left the task ${r.state}` };
}
