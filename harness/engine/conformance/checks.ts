import { type Logits, type LogitsSource, logitsRow } from '../../core/backend/contract.ts';
import { bitwiseEqual, maxAbsDiff } from './tolerances.ts';

export interface CheckContext {
  /** The backend under test. */
  readonly source: LogitsSource;
  /** The float64 reference backend (may be the same object when testing ts:f64 itself). */
  readonly reference: LogitsSource;
  /** Tokenised fixture prompts, at least two, of different lengths. */
  readonly prompts: readonly (readonly number[])[];
  /** Max |Δlogit| that counts as float noise for the source's dtype. */
  readonly tolerance: number;
}

export interface CheckOutcome {
  readonly name: string;
  readonly passed: boolean;
  /** Worst |Δlogit| seen (0 for bitwise checks that passed). */
  readonly maxAbsLogitDiff: number;
  readonly tolerance: number;
  readonly detail: string;
}

export interface ConformanceCheck {
  readonly name: string;
  readonly description: string;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

/** Accumulates the worst difference and where it happened. */
class Worst {
  value = 0;
  where = 'nowhere';
  add(diff: number, where: string): void {
    if (!(diff <= this.value)) {
      this.value = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
      this.where = where;
    }
  }
  outcome(name: string, tolerance: number, what: string): CheckOutcome {
    const passed = this.value <= tolerance;
    const detail = `${what}: max |Δlogit| ${this.value.toExponential(2)} (tolerance ${tolerance.toExponential(0)})${
      passed ? '' : ` at ${this.where}`
    }`;
    return { name, passed, maxAbsLogitDiff: this.value, tolerance, detail };
  }
}

/** Every real (non-padding) column of row b of a left-padded all-positions prefill. */
function realColumn(logits: Logits, b: number, rowLength: number, t: number): Float32Array | Float64Array {
  return logitsRow(logits, b, logits.positions - rowLength + t);
}

async function allPositions(source: LogitsSource, ids: readonly number[]): Promise<Logits> {
  return source.prefill([ids], { allPositions: true });
}

const logitsVsReference: ConformanceCheck = {
  name: 'logits-vs-reference',
  description: 'every position of every fixture prompt against the float64 reference',
  async run({ source, reference, prompts, tolerance }) {
    const worst = new Worst();
    for (const [p, ids] of prompts.entries()) {
      const ours = await allPositions(source, ids);
      const ref = await allPositions(reference, ids);
      for (let t = 0; t < ids.length; t++) {
        worst.add(maxAbsDiff(logitsRow(ours, 0, t), logitsRow(ref, 0, t)), `prompt ${p} position ${t}`);
      }
    }
    return worst.outcome(this.name, tolerance, `${prompts.length} prompts`);
  },
};

const prefillThenStep: ConformanceCheck = {
  name: 'prefill-then-step',
  description: 'prefill half the prompt, step through the rest with the KV cache; equals full recompute',
  async run({ source, prompts, tolerance }) {
    const worst = new Worst();
    for (const [p, ids] of prompts.entries()) {
      if (ids.length < 2) continue;
      const full = await allPositions(source, ids);
      const split = Math.ceil(ids.length / 2);
      let logits = await source.prefill([ids.slice(0, split)]);
      worst.add(maxAbsDiff(logitsRow(logits, 0), logitsRow(full, 0, split - 1)), `prompt ${p} prefill end`);
      for (let t = split; t < ids.length; t++) {
        logits = await source.step([ids[t]!]);
        worst.add(
          maxAbsDiff(logitsRow(logits, 0), logitsRow(full, 0, t)),
          `prompt ${p} step at position ${t}`,
        );
      }
    }
    return worst.outcome(this.name, tolerance, 'cached steps vs recompute');
  },
};

const paddedBatch: ConformanceCheck = {
  name: 'padded-batch',
  description: 'all prompts as one left-padded batch, then two steps; each row equals the row run alone',
  async run({ source, prompts, tolerance }) {
    const worst = new Worst();
    const nextTokens = [prompts.map((ids) => ids[0]!), prompts.map((ids) => ids[ids.length - 1]!)];
    const batch = await source.prefill(prompts, { allPositions: true });
    const batchSteps: Logits[] = [];
    for (const tokens of nextTokens) batchSteps.push(await source.step(tokens));
    for (const [b, ids] of prompts.entries()) {
      const alone = await allPositions(source, ids);
      for (let t = 0; t < ids.length; t++) {
        worst.add(
          maxAbsDiff(realColumn(batch, b, ids.length, t), logitsRow(alone, 0, t)),
          `row ${b} position ${t}`,
        );
      }
      for (const [s, tokens] of nextTokens.entries()) {
        const aloneStep = await source.step([tokens[b]!]);
        worst.add(
          maxAbsDiff(logitsRow(batchSteps[s]!, b), logitsRow(aloneStep, 0)),
          `row ${b} step ${s + 1}`,
        );
      }
    }
    return worst.outcome(this.name, tolerance, `batch of ${prompts.length}`);
  },
};

const beamReorder: ConformanceCheck = {
  name: 'beam-reorder',
  description: 'reorder rows [1,0,1] (permute and duplicate, as beam search does), then step',
  async run({ source, prompts, tolerance }) {
    const worst = new Worst();
    const [a, b] = [prompts[0]!, prompts[1]!];
    await source.prefill([a, b]);
    const order = [1, 0, 1];
    await source.reorder(order);
    const tokens = [a[0]!, b[0]!, a[a.length - 1]!];
    const stepped = await source.step(tokens);
    if (stepped.batch !== order.length) {
      return {
        name: this.name,
        passed: false,
        maxAbsLogitDiff: Number.POSITIVE_INFINITY,
        tolerance,
        detail: `after reorder to ${order.length} rows the step returned ${stepped.batch} rows`,
      };
    }
    for (const [r, source_row] of order.entries()) {
      const alone = await allPositions(source, [...(source_row === 0 ? a : b), tokens[r]!]);
      worst.add(
        maxAbsDiff(logitsRow(stepped, r), logitsRow(alone, 0)),
        `new row ${r} (from row ${source_row})`,
      );
    }
    return worst.outcome(this.name, tolerance, 'reordered rows vs recompute');
  },
};

const resetAndDeterminism: ConformanceCheck = {
  name: 'reset-determinism',
  description: 'the same prefill + steps twice, with reset between, gives bitwise identical logits',
  async run({ source, prompts, tolerance }) {
    const ids = prompts[0]!;
    const runOnce = async (): Promise<(Float32Array | Float64Array)[]> => {
      const rows = [logitsRow(await source.prefill([ids]), 0).slice()];
      for (const id of ids.slice(0, 8)) rows.push(logitsRow(await source.step([id]), 0).slice());
      return rows;
    };
    const first = await runOnce();
    source.reset();
    const second = await runOnce();
    const worst = new Worst();
    let bitwise = true;
    first.forEach((row, i) => {
      bitwise &&= bitwiseEqual(row, second[i]!);
      worst.add(maxAbsDiff(row, second[i]!), `call ${i}`);
    });
    return {
      name: this.name,
      passed: bitwise,
      maxAbsLogitDiff: worst.value,
      tolerance: 0,
      detail: bitwise
        ? `${first.length} calls bitwise identical across two runs`
        : `runs differ (max |Δlogit| ${worst.value.toExponential(2)} at ${worst.where}); the backend is not deterministic (tolerance for reference: ${tolerance})`,
    };
  },
};

/** The suite, in the order it runs. */
export const CONFORMANCE_CHECKS: readonly ConformanceCheck[] = [
  logitsVsReference,
  prefillThenStep,
  paddedBatch,
  beamReorder,
  resetAndDeterminism,
];
