import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { LoadSample } from './machine-load.ts';
import { PROJECT_ROOT, projectPath } from './project-root.ts';

/** The machine a report was produced on, so two reports can be compared honestly. */
export interface MachineRecord {
  readonly cpuModel: string;
  readonly logicalCores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** `git rev-parse HEAD` of the harness, with `-dirty` when the tree has changes; null outside git. */
  readonly gitCommit: string | null;
  /** Versions of the runtimes the backends load (null: not installed); what each backend ran is in its BackendInfo. */
  readonly versions: Readonly<Record<string, string | null>>;
  /** GPU adapters the system reports (nvidia-smi); empty when none is visible. */
  readonly gpus: readonly string[];
  /**
   * Size of the largest CPU cache (Linux sysfs), bytes; null where unknown. Weights smaller than
   * this stay in cache between steps, so the memory roofline does not bound their decode.
   */
  readonly lastLevelCacheBytes: number | null;
  /**
   * How busy the machine was (machine-load.ts) just before the command's work, throughout it, and
   * just after, where the command measured it (bench does; a sample takes 0.3 s); null entries
   * where /proc is missing.
   */
  readonly load?: {
    readonly start: LoadSample | null;
    readonly during: LoadSample | null;
    readonly end: LoadSample | null;
  };
}

/** Runtimes whose version changes the numbers; read from their installed package.json. */
const RUNTIME_PACKAGES = [
  'onnxruntime-node',
  'onnxruntime-web',
  '@huggingface/transformers',
  'playwright-core',
];
/** Debian's chromium (the design never downloads a browser). */
const CHROMIUM = '/usr/lib/chromium/chromium';

export function machineRecord(): MachineRecord {
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    logicalCores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    gitCommit: gitCommit(),
    versions: environment().versions,
    gpus: environment().gpus,
    lastLevelCacheBytes: lastLevelCacheBytes(),
  };
}

/** The largest of cpu0's caches, from the `size` file ("32768K") of each sysfs cache index. */
function lastLevelCacheBytes(): number | null {
  const root = '/sys/devices/system/cpu/cpu0/cache';
  let largest: number | null = null;
  try {
    for (const entry of readdirSync(root)) {
      if (!entry.startsWith('index')) continue;
      const match = /^(\d+)([KMG]?)$/.exec(readFileSync(`${root}/${entry}/size`, 'utf8').trim());
      if (!match) continue;
      const unit = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[match[2] as '' | 'K' | 'M' | 'G'];
      largest = Math.max(largest ?? 0, Number(match[1]) * unit);
    }
  } catch {
    return null; // not Linux, or no sysfs
  }
  return largest;
}

/** Facts that cannot change while the process runs, looked up once (spawning chromium takes ~0.2 s). */
let cachedEnvironment: { versions: Record<string, string | null>; gpus: string[] } | undefined;

function environment(): { versions: Record<string, string | null>; gpus: string[] } {
  if (cachedEnvironment) return cachedEnvironment;
  const versions: Record<string, string | null> = {};
  for (const name of RUNTIME_PACKAGES) {
    try {
      // Read directly: some packages' "exports" do not expose package.json to require.resolve.
      const manifest = JSON.parse(readFileSync(projectPath('node_modules', name, 'package.json'), 'utf8'));
      versions[name] = String(manifest.version);
    } catch {
      versions[name] = null;
    }
  }
  // "Chromium 156.0.8078.79 " → "156.0.8078.79"
  versions.chromium = run(CHROMIUM, ['--version'])?.replace(/^\D*/, '').trim() || null;
  const gpus = (run('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader']) ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  cachedEnvironment = { versions, gpus };
  return cachedEnvironment;
}

/** stdout of a command, or null when it is missing or fails (a probe, never an error). */
function run(command: string, args: readonly string[], cwd?: string): string | null {
  try {
    return execFileSync(command, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).toString();
  } catch {
    return null;
  }
}

function gitCommit(): string | null {
  const cwd = PROJECT_ROOT;
  const head = run('git', ['rev-parse', 'HEAD'], cwd)?.trim();
  if (!head) return null;
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], cwd)?.trim();
  return dirty ? `${head}-dirty` : head;
}
