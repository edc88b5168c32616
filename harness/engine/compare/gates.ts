import type { ComputeDtype } from '../../core/backend/contract.ts';
import { parseDecimal } from '../../core/parse-decimal.ts';
import { LOGIT_TOLERANCE } from '../conformance/tolerances.ts';
import type { AgreementSummary, GateId, GateResult } from './compare-record.ts';

/** A CI gate: one summary number held to a limit. */
export interface GateSpec {
  readonly id: GateId;
  /** The measured quantity, named as in the tables. */
  readonly metric: string;
  /** `max`: measured ≤ limit passes; `min`: measured ≥ limit passes. */
  readonly bound: 'max' | 'min';
  measured(summary: AgreementSummary): number;
  /**
   * The limit when the command line gives none, from the float-noise tolerance of the pair (the
   * conformance suite's max |Δlogit| for the less precise of the two dtypes). KLD ≈ ½·Var_p(Δlogit)
   * for small differences, so noise within the tolerance keeps the mean KLD far below tol²/10.
   */
  defaultLimit(tolerance: number): number;
  /** Range a command-line limit must fall in, and an example for messages. */
  readonly range: readonly [min: number, max: number];
  readonly example: string;
}

export const GATES: readonly GateSpec[] = [
  {
    id: 'max-mean-kld',
    metric: 'Mean KLD',
    bound: 'max',
    measured: (s) => s.kld.mean,
    defaultLimit: (tol) => (tol * tol) / 10,
    range: [0, Number.POSITIVE_INFINITY],
    example: '1e-9',
  },
  {
    id: 'min-same-top-p',
    metric: 'Same top p (%)',
    bound: 'min',
    measured: (s) => 100 * s.sameTop.fraction,
    // Float noise flips top-1 only at near-ties, which are rare: one position in a hundred.
    defaultLimit: () => 99,
    range: [0, 100],
    example: '99',
  },
  {
    id: 'max-abs-logit-diff',
    metric: 'max |Δlogit|',
    bound: 'max',
    measured: (s) => s.maxAbsLogitDiff,
    defaultLimit: (tol) => tol,
    range: [0, Number.POSITIVE_INFINITY],
    example: '1e-4',
  },
];

export type GateOverrides = Partial<Record<GateId, number>>;

export interface GateLimit {
  readonly limit: number;
  /** `--max-mean-kld` when given on the command line, else `default for float32` etc. */
  readonly source: string;
}

export type GateLimits = Readonly<Record<GateId, GateLimit>>;

/** Read the gate options (raw strings, absent when not given) into limits; UsageError when malformed. */
export function parseGateOverrides(raw: Readonly<Partial<Record<GateId, string>>>): GateOverrides {
  const overrides: GateOverrides = {};
  for (const gate of GATES) {
    const text = raw[gate.id];
    if (text === undefined) continue;
    const [min, max] = gate.range;
    const value = parseDecimal(`--${gate.id}`, text, { min, max, example: gate.example });
    overrides[gate.id] = value;
  }
  return overrides;
}

/** The limits for one backend: command-line values where given, else defaults for the pair's dtypes. */
export function gateLimits(overrides: GateOverrides, dtypes: readonly ComputeDtype[]): GateLimits {
  const noisiest = dtypes.reduce((a, b) => (LOGIT_TOLERANCE[b] > LOGIT_TOLERANCE[a] ? b : a));
  const limits = {} as Record<GateId, GateLimit>;
  for (const gate of GATES) {
    const given = overrides[gate.id];
    limits[gate.id] =
      given === undefined
        ? {
            limit: roundLimit(gate.defaultLimit(LOGIT_TOLERANCE[noisiest])),
            source: `default for ${noisiest}`,
          }
        : { limit: given, source: `--${gate.id}` };
  }
  return limits;
}

/** Six significant digits, so tol²/10 reads 1e-19 rather than 1.0000000000000001e-19. */
const roundLimit = (x: number) => Number(x.toPrecision(6));

export function evaluateGates(summary: AgreementSummary, limits: GateLimits): GateResult[] {
  return GATES.map((gate) => {
    const measured = gate.measured(summary);
    const { limit, source } = limits[gate.id];
    // Written so that NaN fails either way.
    const passed = gate.bound === 'max' ? measured <= limit : measured >= limit;
    return { gate: gate.id, metric: gate.metric, measured, limit, limitSource: source, passed };
  });
}

/** One line per failed gate: which gate, which backend, measured vs limit. */
export function gateFailureLine(backendId: string, result: GateResult): string {
  const relation = GATES.find((g) => g.id === result.gate)?.bound === 'min' ? '<' : '>';
  // Four significant digits: "Same top p (%) 15.23", "Mean KLD 3.466e-13".
  const measured = String(Number(result.measured.toPrecision(4)));
  return (
    `gate --${result.gate} failed for ${backendId}: ${result.metric} ${measured} ` +
    `${relation} limit ${result.limit} (${result.limitSource})`
  );
}
