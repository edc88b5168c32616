import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * How busy the machine was around a measurement. On a shared machine other work takes cores from
 * a timed run at random, which is most of the run-to-run noise; a report that records it can say
 * why two identical runs differ. Two sources, both Linux /proc (null elsewhere):
 * - /proc/stat: the CPU time every CPU spent busy, and `steal` (time a hypervisor gave this
 *   virtual machine's CPUs to other guests). Less this command's own processes, that is the other
 *   work, even from processes this one cannot see (another container on the same CPUs).
 * - /proc/[pid]/stat of the processes this one can see, to name the busiest.
 */
export interface LoadSample {
  readonly at: string;
  /** os.loadavg(): runnable tasks averaged over 1, 5 and 15 minutes (this command included). */
  readonly loadAverage: readonly [number, number, number];
  readonly logicalCores: number;
  /** CPU that work other than this command used over the window, in cores (1 = one core throughout). */
  readonly otherCores: number;
  /** Of the window, CPU time the hypervisor gave to other guests, in cores. */
  readonly stealCores: number;
  /** Visible processes other than this command's that used ≥ BUSY_SHARE of a core. */
  readonly busyProcesses: number;
  /** The busiest visible ones, `name (pid N) 0.93 cores`. */
  readonly busiest: readonly string[];
  readonly windowMs: number;
  /** otherCores + stealCores ≥ BUSY_OTHER_CORES. */
  readonly busy: boolean;
}

/** A visible process using at least this share of a core counts as busy. */
export const BUSY_SHARE = 0.1;
/** Other work of this many cores makes the machine busy: a single-threaded run then loses its core about half the time on two. */
export const BUSY_OTHER_CORES = 0.5;
/** Linux counts CPU time in USER_HZ ticks, 100 per second on every mainstream kernel. */
const TICKS_PER_SECOND = 100;
const SAMPLE_MS = 300;

interface ProcessTicks {
  readonly name: string;
  readonly parent: number;
  /** utime + stime, plus the reaped children's (cutime + cstime). */
  readonly ticks: number;
  readonly ownTicks: number;
}

interface Snapshot {
  readonly t: number;
  readonly busyTicks: number;
  readonly stealTicks: number;
  readonly processes: ReadonlyMap<number, ProcessTicks>;
}

/** An open window: close it to learn how busy the machine was meanwhile. */
export interface LoadWindow {
  close(): LoadSample | null;
}

/** Start measuring now; `close()` gives the load over the window (the whole run, say). */
export function openLoadWindow(): LoadWindow {
  const start = snapshot();
  return { close: () => (start === null ? null : loadBetween(start, snapshot())) };
}

/** The load over the next `sampleMs` (default 300 ms). */
export async function sampleLoad(sampleMs = SAMPLE_MS): Promise<LoadSample | null> {
  const window = openLoadWindow();
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  return window.close();
}

/** One line for a report. */
export function loadLine(sample: LoadSample): string {
  const avg = sample.loadAverage.map((x) => x.toFixed(2)).join('/');
  const busiest = sample.busiest.length > 0 ? `: ${sample.busiest.slice(0, 3).join(', ')}` : '';
  const seconds =
    sample.windowMs >= 10_000
      ? `${Math.round(sample.windowMs / 1000)} s`
      : `${Math.round(sample.windowMs)} ms`;
  return (
    `other work used ${sample.otherCores.toFixed(2)} of ${sample.logicalCores} cores over ${seconds} ` +
    `(hypervisor steal ${sample.stealCores.toFixed(2)}; busy visible processes: ${sample.busyProcesses}${busiest}); load average ${avg}`
  );
}

function loadBetween(before: Snapshot, after: Snapshot | null): LoadSample | null {
  if (after === null) return null;
  const seconds = (after.t - before.t) / 1000;
  const cores = (ticks: number) => (seconds > 0 ? ticks / TICKS_PER_SECOND / seconds : 0);
  const ours = commandPids(process.pid, after.processes);
  let oursTicks = 0;
  const usage: { label: string; cores: number }[] = [];
  for (const [pid, now] of after.processes) {
    const then = before.processes.get(pid);
    if (ours.has(pid)) {
      oursTicks += now.ticks - (then?.ticks ?? 0); // a process started meanwhile: all of its time
      continue;
    }
    const used = cores(now.ownTicks - (then?.ownTicks ?? now.ownTicks));
    if (used >= 0.005) usage.push({ label: `${now.name} (pid ${pid})`, cores: used });
  }
  usage.sort((a, b) => b.cores - a.cores);
  const stealCores = cores(after.stealTicks - before.stealTicks);
  const otherCores = Math.max(0, cores(after.busyTicks - before.busyTicks - oursTicks));
  return {
    at: new Date().toISOString(),
    loadAverage: os.loadavg() as [number, number, number],
    logicalCores: os.availableParallelism(),
    otherCores,
    stealCores,
    busyProcesses: usage.filter((u) => u.cores >= BUSY_SHARE).length,
    busiest: usage.slice(0, 5).map((u) => `${u.label} ${u.cores.toFixed(2)} cores`),
    windowMs: after.t - before.t,
    busy: otherCores + stealCores >= BUSY_OTHER_CORES,
  };
}

function snapshot(): Snapshot | null {
  let busyTicks: number;
  let stealTicks: number;
  try {
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    stealTicks = f[7] ?? 0;
    busyTicks = f[0]! + f[1]! + f[2]! + f[5]! + f[6]!;
  } catch {
    return null;
  }
  const processes = processTicks();
  return processes === null ? null : { t: performance.now(), busyTicks, stealTicks, processes };
}

/** CPU ticks of every visible process, by pid; null without /proc. */
function processTicks(): Map<number, ProcessTicks> | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const ticks = new Map<number, ProcessTicks>();
  for (const pid of pids) {
    try {
      // pid (comm) state ppid … utime stime cutime cstime: comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat
        .slice(close + 2)
        .split(' ')
        .map(Number);
      const own = fields[11]! + fields[12]!;
      ticks.set(Number(pid), {
        name: stat.slice(stat.indexOf('(') + 1, close),
        parent: fields[1]!,
        ownTicks: own,
        ticks: own + fields[13]! + fields[14]!,
      });
    } catch {
      // the process ended between the listing and the read
    }
  }
  return ticks;
}

/** This process and every process below it (a browser it started, say); just this one without /proc. */
export function processTreePids(root = process.pid): Set<number> {
  const processes = processTicks();
  return processes === null ? new Set([root]) : descendantsOf(root, processes);
}

/** The command's processes: `root`, what it started, and what started it (a launcher waiting on it). */
function commandPids(root: number, processes: ReadonlyMap<number, ProcessTicks>): Set<number> {
  const ours = descendantsOf(root, processes);
  for (let p = processes.get(root)?.parent; p !== undefined && p > 1; p = processes.get(p)?.parent) {
    ours.add(p);
  }
  return ours;
}

/** `root` and every process below it. */
function descendantsOf(root: number, processes: ReadonlyMap<number, ProcessTicks>): Set<number> {
  const ours = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of processes) {
      if (!ours.has(pid) && ours.has(p.parent)) {
        ours.add(pid);
        grew = true;
      }
    }
  }
  return ours;
}
