import { readdirSync, readFileSync, rmSync } from 'node:fs';
import type { OutOfProcessMemory } from '../../../harness/core/backend/contract.ts';

/**
 * Pids of Chromium processes (browser, zygotes, GPU, renderers, utilities, crashpad handlers)
 * whose command line names `rootDir`: each gets it through --user-data-dir, or for crashpad
 * through the XDG_CONFIG_HOME-derived --database path. Linux /proc only.
 */
export function chromiumPidsUnder(rootDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = readProcFile(Number(entry), 'cmdline');
    if (cmdline?.includes(rootDir)) pids.push(Number(entry));
  }
  return pids;
}

/** Memory of every process under `rootDir`, now. */
export function browserMemory(rootDir: string): OutOfProcessMemory {
  let rssKiB = 0;
  let pssKiB = 0;
  const pids = chromiumPidsUnder(rootDir);
  for (const pid of pids) {
    rssKiB += kibField(readProcFile(pid, 'status'), 'VmRSS');
    pssKiB += kibField(readProcFile(pid, 'smaps_rollup'), 'Pss');
  }
  return { rssBytes: rssKiB * 1024, pssBytes: pssKiB * 1024, processes: pids.length };
}

/** SIGKILL every process that still names `rootDir`, then delete it (for exit paths that cannot wait). */
export function killAndRemove(rootDir: string): void {
  for (const pid of chromiumPidsUnder(rootDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // it exited on its own meanwhile
    }
  }
  rmSync(rootDir, { recursive: true, force: true });
}

/** undefined when the process exited while we were looking (or the file is not ours to read). */
function readProcFile(pid: number, name: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** `Name:   1234 kB` → 1234; 0 when absent. */
function kibField(text: string | undefined, name: string): number {
  const match = text?.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : 0;
}
