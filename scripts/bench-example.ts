#!/usr/bin/env tsx
/**
 * Regenerate the committed example report in reports/example/ through the real CLI:
 *   bench.{json,md,html,csv}  tiny-gpt2 and distilgpt2-shape on ort-node:cpu and ts:f32, one thread
 *   compare.txt          `bench compare` of that run against a second run of the same command
 *                        (same machine, same commit: what run-to-run noise alone looks like)
 *   targets.txt          `bench targets` (what `npm run bench` prints)
 * Takes a few minutes; the first run also builds distilgpt2-shape into .cache/models/.
 *
 *   tsx scripts/bench-example.ts [--repetitions N (5)]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $, minimist } from 'zx';

const USAGE = 'usage: tsx scripts/bench-example.ts [--repetitions N]';
const args = minimist(process.argv.slice(2), {
  string: ['repetitions'],
  boolean: ['help'],
  unknown: (arg) => {
    console.error(`unknown argument ${arg}; ${USAGE}`);
    process.exit(2);
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const repetitions = String(args.repetitions ?? 5);
const OUT = 'reports/example';
const bench = [
  'bench',
  '--model',
  'tiny-gpt2,distilgpt2-shape',
  '--backends',
  'ort-node:cpu,ts:f32',
  '--threads',
  '1',
  '--repetitions',
  repetitions,
];

$.verbose = false;
$.stdio = ['inherit', 'pipe', 'inherit']; // progress (stderr) stays visible
const cli = (argv: string[]) => $({ nothrow: true })`node harness/bin.mjs ${argv}`;

const first = await cli([...bench, '--out', OUT]);
if (first.exitCode !== 0) process.exit(first.exitCode ?? 1);
const second = mkdtempSync(join(tmpdir(), 'bench-example-'));
await cli([...bench, '--out', second]);
const compare = await cli(['bench', 'compare', join(OUT, 'bench.json'), join(second, 'bench.json')]);
writeFileSync(join(OUT, 'compare.txt'), compare.stdout);
const targets = await cli(['bench', 'targets']);
writeFileSync(join(OUT, 'targets.txt'), targets.stdout);
console.log(`wrote ${OUT}/{bench.json,bench.md,bench.html,bench.csv,compare.txt,targets.txt}`);
