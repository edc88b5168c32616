#!/usr/bin/env tsx
/**
 * Regenerate the committed example report in reports/example/ through the real CLI:
 *   bench.{json,md,html,csv}  tiny-gpt2 and distilgpt2-shape on ort-node:cpu and ts:f32, one thread
 *   compare.{txt,html}   `bench compare --fail-if-slower 5` of that run and a second one (A, pooled)
 *                        against two more runs of the same command (B): same machine, same commit,
 *                        each run its own process: what run-to-run noise alone looks like
 *   targets.txt          `bench targets` (what `npm run bench` prints)
 * Takes a few minutes; the first run also builds distilgpt2-shape into .cache/models/.
 *
 *   tsx scripts/bench-example.ts [--repetitions N (5)]
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
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
// Three more runs of the same command, each its own process: A = runs 1 and 2, B = runs 3 and 4.
const scratch = mkdtempSync(join(tmpdir(), 'bench-example-'));
const runs = [join(OUT, 'bench.json')];
for (const name of ['2', '3', '4']) {
  await cli([...bench, '--out', join(scratch, name)]);
  runs.push(join(scratch, name, 'bench.json'));
}
const compared = join(scratch, 'compare');
const compare = await cli([
  'bench',
  'compare',
  runs.slice(0, 2).join(','),
  runs.slice(2).join(','),
  '--fail-if-slower',
  '5',
  '--out',
  compared,
]);
writeFileSync(join(OUT, 'compare.txt'), compare.stdout);
copyFileSync(join(compared, 'compare.html'), join(OUT, 'compare.html'));
const targets = await cli(['bench', 'targets']);
writeFileSync(join(OUT, 'targets.txt'), targets.stdout);
console.log(`wrote ${OUT}/{bench.json,bench.md,bench.html,bench.csv,compare.txt,compare.html,targets.txt}`);
