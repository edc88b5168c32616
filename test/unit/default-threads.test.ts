import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultThreads } from '../../harness/core/backend/default-threads.ts';
import { UsageError } from '../../harness/core/errors.ts';
import { runCliAsync } from '../helpers/run-cli.ts';

describe('defaultThreads', () => {
  const saved = process.env.DECODE_HARNESS_THREADS;
  afterEach(() => {
    if (saved === undefined) delete process.env.DECODE_HARNESS_THREADS;
    else process.env.DECODE_HARNESS_THREADS = saved;
  });

  it('is every core unless DECODE_HARNESS_THREADS says otherwise', () => {
    delete process.env.DECODE_HARNESS_THREADS;
    expect(defaultThreads()).toBe(os.availableParallelism());
    process.env.DECODE_HARNESS_THREADS = '3';
    expect(defaultThreads()).toBe(3);
  });

  it.each(['0', '-1', '1.5', 'two'])(
    'refuses DECODE_HARNESS_THREADS=%s naming the value and the fix',
    (raw) => {
      process.env.DECODE_HARNESS_THREADS = raw;
      expect(() => defaultThreads()).toThrow(UsageError);
      expect(() => defaultThreads()).toThrow(
        new RegExp(
          `DECODE_HARNESS_THREADS "${raw}" must be a whole number from 1; unset it to use every core`,
        ),
      );
    },
  );

  it('a bad value stops any command before work starts: one line, exit 2', async () => {
    const run = await runCliAsync(['backends'], { ...process.env, DECODE_HARNESS_THREADS: 'two' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      `decode-harness: DECODE_HARNESS_THREADS "two" must be a whole number from 1; unset it to use every core (${os.availableParallelism()})`,
    ]);
    expect(run.stdout).toBe('');
  });
});
