import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { writeFileAtomic, writeFilesAtomic } from '../../harness/core/io/atomic-write.ts';
import { checkOutputDir, checkOutputFile } from '../../harness/core/io/output-paths.ts';
import { runCli } from '../helpers/run-cli.ts';

const scratch = () => mkdtempSync(join(tmpdir(), 'decode-harness-out-'));

function refused(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('output paths are checked before any work', () => {
  it('accepts an existing directory and one that can be created, and resolves it', () => {
    const dir = scratch();
    expect(checkOutputDir('--out', dir)).toBe(dir);
    expect(checkOutputDir('--out', join(dir, 'a', 'b'))).toBe(join(dir, 'a', 'b'));
    expect(existsSync(join(dir, 'a'))).toBe(false); // checking creates nothing
  });

  it('refuses a file, a path under a file, and kernel file systems', () => {
    const dir = scratch();
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    expect(refused(() => checkOutputDir('--out', file))).toBe(
      `--out ${file} is not a directory; give a directory (it is created if missing)`,
    );
    expect(refused(() => checkOutputDir('--out', join(file, 'sub')))).toContain(
      `sits under ${file}, which is not a directory`,
    );
    expect(refused(() => checkOutputDir('--out', '/proc/x'))).toContain(
      'is under /proc, a kernel file system',
    );
    expect(refused(() => checkOutputDir('--out', '/sys'))).toContain('is under /sys');
  });

  it('never takes a device, a FIFO, a directory or a link as an output file', () => {
    const dir = scratch();
    expect(refused(() => checkOutputFile('--junit', '/dev/null'))).toContain('is under /dev');
    expect(refused(() => checkOutputFile('--junit', dir))).toBe(
      `--junit ${dir} is a directory; it is never replaced: give the path of a regular file or a new one`,
    );
    const link = join(dir, 'link.xml');
    symlinkSync('/etc/hostname', link);
    expect(refused(() => checkOutputFile('--junit', link))).toContain('is a symbolic link');
    const fifo = join(dir, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0)
      expect(refused(() => checkOutputFile('--junit', fifo))).toContain('is a FIFO');
    else console.warn('mkfifo is missing: the FIFO case was not checked');
    const regular = join(dir, 'old.xml');
    writeFileSync(regular, 'old');
    expect(checkOutputFile('--junit', regular)).toBe(regular);
    // A file under a file: the message names the path as given and the file in the way.
    expect(refused(() => checkOutputFile('--junit', join(regular, 'j.xml')))).toBe(
      `--junit ${join(regular, 'j.xml')} sits under ${regular}, which is not a directory; give a directory (it is created if missing)`,
    );
  });

  it('the atomic writer refuses to replace what is not a regular file, and leaves no temp file', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'b.md'));
    expect(refused(() => writeFilesAtomic(dir, { 'a.json': '{}', 'b.md': '# b' }))).toContain(
      'b.md is a directory',
    );
    expect(readdirSync(dir)).toEqual(['b.md']); // a.json not written either: the set is one
    expect(statSync(join(dir, 'b.md')).isDirectory()).toBe(true);
    writeFileAtomic(join(dir, 'c.txt'), 'new');
    expect(readFileSync(join(dir, 'c.txt'), 'utf8')).toBe('new');
    expect(readdirSync(dir).sort()).toEqual(['b.md', 'c.txt']);
  });

  it('check --junit /dev/null is refused at once (exit 2), and /dev/null stays a device', () => {
    const t0 = performance.now();
    const run = runCli(['check', '--backends', 'ts:f64', '--junit', '/dev/null']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('--junit /dev/null is under /dev');
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('the main job refuses an --out that is a file before it runs a backend', () => {
    const file = join(scratch(), 'report.txt');
    writeFileSync(file, 'keep me');
    const run = runCli(['--backends', 'ts:f64', '--out', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--out .+ is not a directory/);
    expect(run.stderr).not.toContain('ts:f64: opening');
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });
});

describe('room for the reports', () => {
  it('a file system with less than 16 MiB free is refused before any work', (ctx) => {
    const small = scratch();
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small], {
      encoding: 'utf8',
    });
    if (mounted.status !== 0) {
      const why = `cannot mount a small tmpfs here (${mounted.stderr.trim() || 'not root'})`;
      console.warn(`SKIP full-disk check: ${why}`);
      ctx.skip(why);
    }
    try {
      expect(refused(() => checkOutputDir('--out', join(small, 'reports')))).toMatch(
        /^--out .*reports: its file system has 8\.0 MiB free and reports need up to 16 MiB; free some space/,
      );
    } finally {
      spawnSync('umount', [small]);
    }
  });
});
