import type { BeamCandidate, BeamStepRecord, DecodeResult } from '../../engine/decode/decode-result.ts';
import { num } from './cells.ts';
import type { ReportBlock } from './document.ts';

/** HF's start score of every beam but the first (beam-search.ts): such a beam is not open yet. */
const INACTIVE_BELOW = -1e8;

/** What became of a candidate, in words. */
function fateText(c: BeamCandidate, numBeams: number): string {
  if (c.fate === 'kept') return `kept as beam ${c.nextBeam}`;
  if (c.fate === 'finished') return `finished (eos): hypothesis score ${c.hypothesisScore!.toFixed(4)}`;
  if (c.why === 'eos-rank') return `dropped: an eos ranked below the first ${numBeams} (HF skips it)`;
  if (c.why === 'eos-worse') return `dropped: an eos no better than the worst of ${numBeams} finished`;
  return `dropped: cut (${numBeams} beams already kept)`;
}

/**
 * Beam steps: the open beams a step extends, then every candidate the search ranked (Hugging
 * Face's best max(2, 1 + #eos) × num_beams beam-and-token pairs), its parent beam, its processed
 * logprob and the beam's new total, and its fate; at the end the finished hypotheses with their
 * length-normalised scores.
 */
export function beamBlocks(
  result: DecodeResult,
  steps: readonly BeamStepRecord[],
  quoted: (id: number) => string,
  text: (ids: readonly number[]) => string,
): ReportBlock[] {
  const numBeams = result.config.num_beams;
  const blocks = steps.flatMap((step, n): ReportBlock[] => [
    {
      kind: 'lines',
      unwrapped: true,
      lines: [
        `step ${n + 1}: extends the open beams, ranks the best ${step.candidates.length} beam-and-token pairs`,
        ...step.beams.map((b, i) =>
          b.score < INACTIVE_BELOW
            ? `  beam ${i}: not open yet (HF starts it at -1e9, so its candidates rank last)`
            : b.tokenIds.length === 0
              ? `  beam ${i}: the prompt alone (total logprob 0)`
              : `  beam ${i}: ${JSON.stringify(text(b.tokenIds))} (total logprob ${b.score.toFixed(4)})`,
        ),
      ],
    },
    {
      kind: 'table',
      header: ['rank', 'beam', 'id', 'token', 'logprob', 'total', 'fate'],
      rows: step.candidates.map((c, rank) => [
        num(rank + 1, 0),
        num(c.beam, 0),
        num(c.id, 0),
        quoted(c.id),
        num(c.logprob, 4, { unit: 'nats' }),
        num(c.score, 4, { unit: 'nats' }),
        fateText(c, numBeams),
      ]),
      highlight: step.candidates.flatMap((c, rank) => (c.fate === 'dropped' ? [] : [rank])),
    },
  ]);
  const hypotheses = result.hypotheses ?? [];
  return [
    ...blocks,
    {
      kind: 'lines',
      unwrapped: true,
      lines: [
        `finished hypotheses, best first: score = total logprob / length^${result.config.length_penalty} ` +
          `(length_penalty); the best ${result.config.num_return_sequences} returned`,
      ],
    },
    {
      kind: 'table',
      header: ['rank', 'continuation', 'total', 'length', 'score', 'ended by'],
      rows: hypotheses.map((h, rank) => [
        num(rank + 1, 0),
        JSON.stringify(text(h.tokenIds)),
        num(h.sumLogprobs, 4, { unit: 'nats' }),
        num(h.tokenIds.length, 0),
        num(h.score, 4),
        h.endedWithEos ? 'eos' : 'max_new_tokens (open at the end)',
      ]),
      highlight: hypotheses.flatMap((_, rank) => (rank < result.config.num_return_sequences ? [rank] : [])),
    },
  ];
}
