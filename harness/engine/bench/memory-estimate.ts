import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { ComputeDtype } from '../../core/backend/contract.ts';
import { UsageError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { parameterCount } from '../../core/model/parameter-layout.ts';
import type { SweepPoint } from './bench-record.ts';
import { dtypeBytes, kvCacheBytesPerToken } from './roofline.ts';

/**
 * What one sweep point needs in memory at its largest, estimated from the model's shape before
 * anything loads, so a --batch that cannot fit is refused with the numbers instead of swapping or
 * being killed mid-run:
 * - the weights, once;
 * - the KV cache at the full context (depth + prompt + new tokens) of every row and beam, twice:
 *   a step reads the past cache while it writes the present one;
 * - the prefill's logits, [rows, context, vocab] float32: an ONNX decoder returns every
 *   position's (the pure-TS kernels keep only the last, so for them this over-estimates).
 * Activations and the runtime's own arenas are left out: this is a floor, not a ceiling.
 */
export interface MemoryEstimate {
  readonly weightsBytes: number;
  /** One copy of the cache, every row and beam (the total counts it twice). */
  readonly kvCacheBytes: number;
  readonly prefillLogitsBytes: number;
  readonly totalBytes: number;
  /** Bytes one more row adds (KV cache twice + its logits). */
  readonly bytesPerRow: number;
}

export function estimatePointMemory(
  model: ModelDir,
  point: SweepPoint,
  newTokens: number,
  beams: number,
  dtype: ComputeDtype,
): MemoryEstimate {
  const rows = point.batch * beams;
  const weightsBytes = parameterCount(model.config) * dtypeBytes(dtype);
  const kvPerRow = kvCacheBytesPerToken(model.config, dtype) * (point.contextTokens + newTokens);
  const logitsPerRow = point.contextTokens * model.config.vocab_size * 4;
  const bytesPerRow = 2 * kvPerRow + logitsPerRow;
  return {
    weightsBytes,
    kvCacheBytes: rows * kvPerRow,
    prefillLogitsBytes: rows * logitsPerRow,
    totalBytes: weightsBytes + rows * bytesPerRow,
    bytesPerRow,
  };
}

/** Memory the kernel could give this process now without swapping: MemAvailable, else free memory. */
export function availableMemoryBytes(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return os.freemem();
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1)} GiB`;

/** Refuse the sweep when its largest point's estimate exceeds the available memory, naming the estimate and the batch that would fit. */
export function checkPointsFitMemory(
  model: ModelDir,
  points: readonly SweepPoint[],
  newTokens: number,
  beams: number,
  dtype: ComputeDtype,
  availableBytes: number,
): void {
  for (const point of points) {
    const e = estimatePointMemory(model, point, newTokens, beams, dtype);
    if (e.totalBytes <= availableBytes) continue;
    const fits = Math.max(0, Math.floor((availableBytes - e.weightsBytes) / (e.bytesPerRow * beams)));
    throw new UsageError(
      `--batch ${point.batch} at a ${point.contextTokens}-token context on ${model.name} needs about ${gib(e.totalBytes)} ` +
        `(${dtype} weights ${gib(e.weightsBytes)} + KV cache ${gib(e.kvCacheBytes)} held twice during a step + ` +
        `prefill logits ${gib(e.prefillLogitsBytes)}) but ${gib(availableBytes)} is available; ` +
        `lower --batch (about ${fits} fits at this context) or the context`,
    );
  }
}
