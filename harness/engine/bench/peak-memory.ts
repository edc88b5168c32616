import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Peak resident memory of this process while one backend is measured. On Linux the high-water mark
 * (VmHWM in /proc/self/status) can be reset by writing "5" to /proc/self/clear_refs (Linux ≥ 4.0);
 * a full garbage collection first returns what earlier backends left behind, so the window starts
 * at the harness's own baseline (Node, tokenizer; recorded as baselineBytes). Elsewhere only the
 * whole process's peak is known (process.resourceUsage().maxRSS), which includes every backend
 * measured before. The scope says which one a figure is.
 */
export type PeakScope = 'since-reset' | 'process-lifetime';

export interface PeakWindow {
  readonly scope: PeakScope;
  /** Resident memory when the window opened, after the collection. */
  readonly baselineBytes: number;
}

export interface PeakRss {
  readonly bytes: number;
  readonly scope: PeakScope;
  readonly baselineBytes: number;
}

/** Collect garbage, let freed buffers be unmapped, then start a new peak window. */
export async function openPeakWindow(): Promise<PeakWindow> {
  collectGarbage();
  // V8 releases large backing stores shortly after the collection (measured: ~600 MB within 50 ms).
  await new Promise((resolve) => setTimeout(resolve, 50));
  let scope: PeakScope = 'process-lifetime';
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    scope = 'since-reset';
  } catch {
    // not Linux, or /proc is read-only here: the peak stays the process's
  }
  return { scope, baselineBytes: statusKiB('VmRSS') * 1024 || process.memoryUsage.rss() };
}

export function peakRss(window: PeakWindow): PeakRss {
  const hwmKiB = statusKiB('VmHWM');
  if (hwmKiB > 0) return { bytes: hwmKiB * 1024, scope: window.scope, baselineBytes: window.baselineBytes };
  return {
    bytes: process.resourceUsage().maxRSS * 1024,
    scope: 'process-lifetime',
    baselineBytes: window.baselineBytes,
  };
}

/**
 * A full collection without starting Node with --expose-gc: the flag can be set at run time and
 * the `gc` function then exists in a fresh context. Large typed arrays are unmapped when collected.
 */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** A `Name:   1234 kB` field of /proc/self/status; 0 where there is none. */
function statusKiB(field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}
