import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** The machine a report was produced on, so two reports can be compared honestly. */
export interface MachineRecord {
  readonly cpuModel: string;
  readonly logicalCores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** `git rev-parse HEAD` of the harness, with `-dirty` when the tree has changes; null outside git. */
  readonly gitCommit: string | null;
}

export function machineRecord(): MachineRecord {
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    logicalCores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    gitCommit: gitCommit(),
  };
}

function gitCommit(): string | null {
  const cwd = new URL('../..', import.meta.url).pathname;
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}
