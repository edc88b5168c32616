import { describe, expect, it } from 'vitest';
import { benchSettings } from '../../harness/app/cli/commands/bench.ts';
import { UsageError } from '../../harness/core/errors.ts';
import { benchGenerationConfig } from '../../harness/engine/bench/bench-config.ts';
import { strategyOf } from '../../harness/engine/decode/generation-config.ts';

describe('bench settings from the command line', () => {
  it('defaults to a 16-token prompt, 64 new tokens, 5 repetitions after 1 warm-up, greedy, batch 1', () => {
    expect(benchSettings({})).toEqual({
      promptTokens: [16],
      depths: [0],
      batches: [1],
      newTokens: 64,
      repetitions: 5,
      warmup: 1,
      threads: null,
      strategy: 'greedy',
      numBeams: 1,
      sampling: null,
      eosIgnored: true,
      prompt: 'synthetic-ids',
      noisyCv: 0.05,
    });
  });

  it('takes comma-separated sweeps, in the order given', () => {
    expect(
      benchSettings({ 'prompt-tokens': '16,128,512', depth: '0,512,2048', batch: '1, 4,8' }),
    ).toMatchObject({
      promptTokens: [16, 128, 512],
      depths: [0, 512, 2048],
      batches: [1, 4, 8],
    });
  });

  it('takes beam search from --strategy beam (4 beams unless given) or from --num-beams alone', () => {
    expect(benchSettings({ strategy: 'beam' })).toMatchObject({ strategy: 'beam', numBeams: 4 });
    expect(benchSettings({ 'num-beams': '3' })).toMatchObject({ strategy: 'beam', numBeams: 3 });
    expect(benchSettings({ strategy: 'sample' }).sampling).not.toBeNull();
  });

  const rejects: [string, Parameters<typeof benchSettings>[0], RegExp][] = [
    [
      'an unknown strategy',
      { strategy: 'top-k' },
      /--strategy "top-k" is not supported; supported: greedy, sample, beam/,
    ],
    [
      '--num-beams without beam',
      { strategy: 'greedy', 'num-beams': '4' },
      /--num-beams 4 needs --strategy beam/,
    ],
    [
      'one beam',
      { strategy: 'beam', 'num-beams': '1' },
      /--num-beams "1" must be a whole number from 2 to 64/,
    ],
    [
      '--batch with sampling',
      { strategy: 'sample', batch: '2' },
      /--batch 2 runs batched greedy decoding.*use --strategy greedy/,
    ],
    ['fewer than 2 new tokens', { 'new-tokens': '1' }, /--new-tokens "1" must be a whole number from 2/],
    ['an empty prompt', { 'prompt-tokens': '0' }, /--prompt-tokens "0" must be a whole number from 1/],
    ['a zero in a sweep', { 'prompt-tokens': '16,0' }, /--prompt-tokens "0" must be a whole number from 1/],
    ['a negative depth', { depth: '0,-512' }, /--depth "-512" must be a whole number from 0/],
    ['a zero batch', { batch: '0,4' }, /--batch "0" must be a whole number from 1/],
    [
      'a duplicate in a sweep',
      { depth: '0,512,512' },
      /--depth 0,512,512 lists 512 twice; give each value once/,
    ],
    [
      'an empty sweep entry',
      { batch: '1,,4' },
      /--batch "1,,4" has an empty entry; give comma-separated whole numbers/,
    ],
    [
      'a batch sweep with beams',
      { strategy: 'beam', batch: '1,4' },
      /--batch 4 runs batched greedy decoding/,
    ],
    ['no repetitions', { repetitions: '0' }, /--repetitions "0" must be a whole number from 1/],
    ['negative warm-up', { warmup: '-1' }, /--warmup "-1" must be a whole number from 0/],
    ['zero threads', { threads: '0' }, /--threads "0" must be a whole number from 1/],
    ['a fractional batch', { batch: '1.5' }, /--batch "1.5" must be a whole number/],
  ];
  for (const [what, values, message] of rejects) {
    it(`rejects ${what}, naming the value and the fix`, () => {
      expect(() => benchSettings(values)).toThrow(UsageError);
      expect(() => benchSettings(values)).toThrow(message);
    });
  }
});

describe('the generation config a benchmark decodes with', () => {
  it('ignores eos and generates exactly --new-tokens with the asked strategy', () => {
    const greedy = benchGenerationConfig(benchSettings({ 'new-tokens': '7' }));
    expect(greedy).toMatchObject({ max_new_tokens: 7, eos_token_id: [] });
    expect(strategyOf(greedy)).toBe('greedy');
    const beam = benchGenerationConfig(benchSettings({ strategy: 'beam', 'num-beams': '3' }));
    expect([strategyOf(beam), beam.num_beams]).toEqual(['beam', 3]);
    const sample = benchGenerationConfig(benchSettings({ strategy: 'sample' }));
    expect(strategyOf(sample)).toBe('sample');
    expect(sample).toMatchObject({
      temperature: 0.8,
      top_k: 50,
      top_p: 0.95,
      repetition_penalty: 1.2,
      seed: 42,
    });
  });
});
