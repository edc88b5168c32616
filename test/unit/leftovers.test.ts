import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFilesAtomic } from '../../harness/core/io/atomic-write.ts';
import { isProcessAlive, removeLeftovers } from '../../harness/core/leftovers.ts';
import { writeModelDirAtomically } from '../../harness/engine/model-gen/write-model-dir.ts';

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-leftovers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The pid of a process that has exited (a run killed before its cleanup). */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  }).stdout;
  expect(isProcessAlive(Number(pid))).toBe(false);
  return Number(pid);
}

describe('leftovers of killed runs are removed at the next start, by the owning pid being gone', () => {
  it('a report temp left between write and rename goes; a live process’s temp stays', () => {
    const dir = join(scratch, 'reports');
    mkdirSync(dir);
    const dead = join(dir, `compare.json.tmp-${deadPid()}`);
    const live = join(dir, `compare.json.tmp-${process.ppid}`);
    writeFileSync(dead, 'half');
    writeFileSync(live, 'in progress');
    writeFilesAtomic(dir, { 'compare.json': '{}\n', 'compare.md': '# x\n' });
    expect(existsSync(dead)).toBe(false);
    expect(readFileSync(live, 'utf8')).toBe('in progress');
    expect(readFileSync(join(dir, 'compare.json'), 'utf8')).toBe('{}\n');
  });

  it('a half-built model dir goes before the next build; the finished model is whole', async () => {
    const dir = join(scratch, 'models', 'tiny');
    const half = `${dir}.tmp-${deadPid()}-0badc0de`;
    mkdirSync(half, { recursive: true });
    writeFileSync(join(half, 'config.json'), '{');
    const other = join(scratch, 'models', `tinier.tmp-${deadPid()}-0badc0de`); // another model's: not ours to judge
    mkdirSync(other);
    const files = new Map([['config.json', new TextEncoder().encode('{}\n')]]);
    expect(await writeModelDirAtomically(dir, files)).toBe('written');
    expect(existsSync(half)).toBe(false);
    expect(existsSync(other)).toBe(true);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('{}\n');
  });

  it('removeLeftovers ignores names without a pid and our own pid', () => {
    const dir = join(scratch, 'mixed');
    mkdirSync(dir);
    for (const name of ['x.tmp-abc', `x.tmp-${process.pid}`, 'x.tmp-0']) writeFileSync(join(dir, name), '');
    expect(removeLeftovers(dir, /^x\.tmp-(\w+)$/)).toEqual([]);
    expect(removeLeftovers(join(scratch, 'absent'), /(\d+)/)).toEqual([]);
  });
});
