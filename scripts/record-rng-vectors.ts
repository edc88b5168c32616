/**
 * Records fixtures/rng/seedrandom-vectors.json: the first outputs of every seedrandom algorithm for a
 * few seeds, drawn through createRng exactly as a decode strategy draws its coins. Re-run it after a
 * seedrandom upgrade; a diff in the file means sampled goldens would change too.
 *
 *   npx tsx scripts/record-rng-vectors.ts
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { seedrandomAlgorithms } from '../harness/core/rng/rng.ts';
import { createRng } from '../harness/core/rng/seeded-rng.ts';

const seeds = [0, 42];
const drawsPerSeed = 5;
const outPath = new URL('../fixtures/rng/seedrandom-vectors.json', import.meta.url);

const seedrandomVersion: string = createRequire(import.meta.url)('seedrandom/package.json').version;
const vectors: Record<string, Record<string, number[]>> = {};
for (const algorithm of seedrandomAlgorithms) {
  const bySeed: Record<string, number[]> = {};
  for (const seed of seeds) {
    const rng = createRng({ algorithm, seed });
    bySeed[String(seed)] = Array.from({ length: drawsPerSeed }, () => rng.next());
  }
  vectors[algorithm] = bySeed;
}

const text = `${JSON.stringify(
  {
    schema: 'decode-harness/rng-vectors@1',
    library: `seedrandom ${seedrandomVersion}`,
    draw: "createRng({ algorithm, seed }).next(): seedrandom's prng.double() with the seed as its decimal string",
    recordedBy: 'npx tsx scripts/record-rng-vectors.ts',
    vectors,
  },
  null,
  2,
)}\n`;
const before = await readFile(outPath, 'utf8').catch(() => '');
await writeFile(outPath, text);
console.log(
  before === text ? 'unchanged' : before === '' ? 'written' : 'CHANGED (review the diff)',
  outPath.pathname,
);
