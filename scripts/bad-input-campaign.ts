/**
 * Bad input against the CLI, the way an unlucky user or an attacker tries it: every case must be
 * refused with exit 2 and one line (no stack) within 60 s, leave its scratch directory as it found
 * it (no new file, no replaced file, no `*.tmp-*`), replace no path it names elsewhere (`--junit
 * /dev/null` must leave the device a device), and leave no Chromium profile behind.
 * Prints one line per case that is not clean and the five counts:
 * tried, clean, crashes, wrong acceptances, leaks.
 *
 *   npx tsx scripts/bad-input-campaign.ts [--only SUBSTRING]
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedModelDir } from '../harness/engine/model-gen/embedded-models.ts';
import { loadModelDir } from '../harness/engine/model-gen/load-model-dir.ts';

const BIN = fileURLToPath(new URL('../harness/bin.mjs', import.meta.url));
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

interface Case {
  readonly name: string;
  /** `$S` in an argument is replaced by the case's scratch dir, `$M` by a fresh copy of tiny-gpt2. */
  readonly args: readonly string[];
  /** Break the scratch dir or the model copy before the run. */
  readonly setup?: (scratch: string, model: string) => void;
}

const editJson = (file: string, edit: (v: Record<string, unknown>) => void) => {
  const value = JSON.parse(readFileSync(file, 'utf8'));
  edit(value);
  writeFileSync(file, JSON.stringify(value));
};
const mkfifo = (path: string) => spawnSync('mkfifo', [path]);
const replaceWith = (path: string, make: (p: string) => void) => {
  rmSync(path, { recursive: true, force: true });
  make(path);
};

interface GoldenSequenceJson {
  steps: { logprob: number; top: [number, number][] }[];
  totalLogprob: number;
}

/** The committed tiny-gpt2 goldens copied to `<scratch>/g`, with greedy--fox edited by hand. */
function editedGoldens(scratch: string, edit: (golden: Record<string, unknown>) => void): void {
  const dir = join(scratch, 'g');
  cpSync(fileURLToPath(new URL('../fixtures/golden/tiny-gpt2', import.meta.url)), dir, { recursive: true });
  editJson(join(dir, 'greedy--fox.json'), edit);
}

/** A copy of tiny-gpt2 whose `file` has `key` set to `value`, loaded by `generate`. */
const configValue = (name: string, file: string, key: string, value: unknown): Case => ({
  name,
  args: gen('--model', '$M'),
  setup: (_, m) =>
    editJson(join(m, file), (c) => {
      c[key] = value;
    }),
});

const gen = (...rest: string[]) => ['generate', '--prompt', 'hi', '--max-new-tokens', '2', ...rest];
const numberCases: Case[] = [];
for (const [flag, values] of Object.entries({
  'max-new-tokens': ['0', '-1', '1.5', '1e400', 'ten', '0x10', ''],
  'min-new-tokens': ['-1', '3e0.5', '5'],
  temperature: ['-0.1', 'Infinity', 'NaN', '1,5', '+-1'],
  'top-k': ['-1', '2.5', '1e99'],
  'top-p': ['0', '-0.1', '1.01', '.'],
  'min-p': ['-1', '2'],
  'repetition-penalty': ['0', '-1'],
  'no-repeat-ngram-size': ['-2', '0.5'],
  'num-beams': ['0', '1e9', '100000', '65'],
  'num-return-sequences': ['0', '1000000'],
  seed: ['-1', '0x2a', '1.5', '9007199254740993', '1e3x'],
  'length-penalty': ['Infinity', 'abc'],
})) {
  for (const value of values) {
    const extra = ['seed', 'top-p', 'min-p', 'temperature', 'top-k', 'num-return-sequences'].includes(flag)
      ? ['--do-sample', ...(flag === 'seed' ? [] : ['--seed', '1'])]
      : [];
    numberCases.push({ name: `--${flag} ${JSON.stringify(value)}`, args: gen(...extra, `--${flag}`, value) });
  }
}

const CASES: Case[] = [
  ...numberCases,
  // flags
  { name: 'flag twice', args: gen('--seed', '1', '--seed', '2', '--do-sample') },
  { name: 'boolean flag twice', args: gen('--do-sample', '--do-sample', '--seed', '1') },
  { name: 'unknown flag', args: gen('--sed', '1') },
  { name: 'unknown flag with =', args: gen('--temprature=1') },
  { name: 'flag without value at end', args: gen('--seed') },
  { name: 'flag without value before a flag', args: gen('--strategy', '--do-sample') },
  { name: 'boolean flag with a value', args: gen('--do-sample=yes') },
  { name: 'stray positional', args: gen('extra') },
  { name: 'unknown command', args: ['frobnicate'] },
  { name: 'unknown strategy', args: gen('--strategy', 'nucleus') },
  { name: 'greedy with beams', args: gen('--strategy', 'greedy', '--num-beams', '4') },
  { name: 'beam without num-beams', args: gen('--strategy', 'beam') },
  { name: 'beam sampling', args: gen('--num-beams', '2', '--do-sample', '--seed', '1') },
  { name: 'sampling without seed', args: gen('--do-sample') },
  {
    name: 'mt19937 with top-p',
    args: gen('--do-sample', '--seed', '1', '--rng', 'mt19937', '--top-p', '0.9'),
  },
  { name: 'unknown rng', args: gen('--do-sample', '--seed', '1', '--rng', 'dice') },
  { name: 'greedy with n returned', args: gen('--num-return-sequences', '2') },
  { name: 'min > max new tokens', args: gen('--min-new-tokens', '5') },
  { name: 'early-stopping bad', args: gen('--num-beams', '2', '--early-stopping', 'sometimes') },
  { name: 'empty stop string', args: gen('--stop-strings', '') },
  { name: 'unknown backend', args: gen('--backend', 'gpu:magic') },
  { name: 'empty prompt', args: ['generate', '--prompt', ''] },
  { name: 'prompt beyond positions', args: ['generate', '--prompt', 'word '.repeat(300)] },
  { name: 'bench: backend twice', args: ['bench', '--backends', 'ts:f32,ts:f32', '--out', '$S/out'] },
  { name: 'bench: model twice', args: ['bench', '--model', 'tiny-gpt2,tiny-gpt2', '--out', '$S/out'] },
  {
    name: 'bench: prompt-tokens 1000000',
    args: ['bench', '--backends', 'ts:f32', '--prompt-tokens', '1000000', '--out', '$S/out'],
  },
  { name: 'bench: new-tokens 1', args: ['bench', '--new-tokens', '1', '--out', '$S/out'] },
  {
    name: 'bench: batch with beam',
    args: ['bench', '--batch', '2', '--strategy', 'beam', '--out', '$S/out'],
  },
  { name: 'bench: two stdout formats', args: ['bench', '--json', '--md', '--out', '$S/out'] },
  { name: 'bench: depth twice', args: ['bench', '--depth', '0,512,512', '--out', '$S/out'] },
  { name: 'bench: batch zero', args: ['bench', '--batch', '1,0', '--out', '$S/out'] },
  { name: 'bench: negative prompt', args: ['bench', '--prompt-tokens', '16,-4', '--out', '$S/out'] },
  { name: 'bench: depth beyond context', args: ['bench', '--depth', '250', '--out', '$S/out'] },
  {
    name: 'bench: one context twice',
    args: ['bench', '--prompt-tokens', '16,48', '--depth', '0,32', '--out', '$S/out'],
  },
  {
    name: 'bench: batch beyond memory',
    args: ['bench', '--batch', '100000', '--prompt-tokens', '180', '--out', '$S/out'],
  },
  { name: 'bench compare: one report', args: ['bench', 'compare', '$S/a.json'] },
  {
    name: 'bench compare: threshold ten',
    args: ['bench', 'compare', '$S/a.json', '$S/a.json', '--fail-if-slower', 'ten'],
  },
  { name: 'compare: gate negative', args: ['compare', '--backends', 'ts:f32', '--max-mean-kld', '-1'] },
  { name: 'compare: gate over 100', args: ['compare', '--backends', 'ts:f32', '--min-same-top-p', '101'] },
  { name: 'compare: reference only', args: ['compare', '--backends', 'ts:f64'] },
  { name: 'compare: backend twice', args: ['compare', '--backends', 'ts:f32,ts:f32'] },
  { name: 'main job: unknown backend', args: ['--backends', 'ts:f32,ort-node:gpu', '--out', '$S/out'] },
  {
    name: 'main job: require outside backends',
    args: ['--backends', 'ts:f32', '--require', 'ts:f64', '--out', '$S/out'],
  },
  { name: 'main job: empty backends', args: ['--backends', '', '--out', '$S/out'] },
  // output paths
  {
    name: '--out under a file',
    args: ['compare', '--backends', 'ts:f32', '--out', '$S/file/sub'],
    setup: (s) => writeFileSync(join(s, 'file'), 'keep'),
  },
  {
    name: '--out is a file',
    args: ['compare', '--backends', 'ts:f32', '--out', '$S/file'],
    setup: (s) => writeFileSync(join(s, 'file'), 'keep'),
  },
  { name: '--out /proc/x', args: ['compare', '--backends', 'ts:f32', '--out', '/proc/x'] },
  { name: '--out /sys/x', args: ['--backends', 'ts:f32', '--out', '/sys/x'] },
  { name: '--junit /dev/null', args: ['check', '--backends', 'ts:f32', '--junit', '/dev/null'] },
  {
    name: '--junit a directory',
    args: ['check', '--backends', 'ts:f32', '--junit', '$S/dir'],
    setup: (s) => mkdirSync(join(s, 'dir')),
  },
  {
    name: '--junit a FIFO',
    args: ['check', '--backends', 'ts:f32', '--junit', '$S/fifo'],
    setup: (s) => mkfifo(join(s, 'fifo')),
  },
  {
    name: '--junit under a file',
    args: ['check', '--backends', 'ts:f32', '--junit', '$S/file/j.xml'],
    setup: (s) => writeFileSync(join(s, 'file'), 'keep'),
  },
  {
    name: '--golden under a file',
    args: ['record', '--golden', '$S/file/g', '--yes'],
    setup: (s) => writeFileSync(join(s, 'file'), 'keep'),
  },
  // special and broken input files
  { name: '--generation-config /dev/zero', args: gen('--generation-config', '/dev/zero') },
  {
    name: '--generation-config a FIFO',
    args: gen('--generation-config', '$S/fifo'),
    setup: (s) => mkfifo(join(s, 'fifo')),
  },
  { name: '--generation-config a dir', args: gen('--generation-config', '$S') },
  {
    name: '--generation-config not JSON',
    args: gen('--generation-config', '$S/g.json'),
    setup: (s) => writeFileSync(join(s, 'g.json'), '{'),
  },
  {
    name: '--generation-config an array',
    args: gen('--generation-config', '$S/g.json'),
    setup: (s) => writeFileSync(join(s, 'g.json'), '[1]'),
  },
  {
    name: '--generation-config num_beams 1e6',
    args: gen('--generation-config', '$S/g.json'),
    setup: (s) => writeFileSync(join(s, 'g.json'), '{"num_beams": 1000000}'),
  },
  {
    name: '--generation-config do_sample "yes"',
    args: gen('--generation-config', '$S/g.json'),
    setup: (s) => writeFileSync(join(s, 'g.json'), '{"do_sample": "yes"}'),
  },
  {
    name: '--cases a FIFO',
    args: ['record', '--cases', '$S/fifo', '--golden', '$S/g'],
    setup: (s) => mkfifo(join(s, 'fifo')),
  },
  { name: '--cases /dev/zero', args: ['record', '--cases', '/dev/zero', '--golden', '$S/g'] },
  {
    name: '--cases num_beams 1000000',
    args: ['record', '--cases', '$S/c.json', '--golden', '$S/g'],
    setup: (s) =>
      writeFileSync(
        join(s, 'c.json'),
        JSON.stringify({
          schema: 'decode-harness/golden-cases@1',
          prompts: { a: 'hi' },
          cases: [{ id: 'x', prompts: ['a'], generation: { num_beams: 1000000 } }],
        }),
      ),
  },
  { name: '--prompts /dev/zero', args: ['compare', '--backends', 'ts:f32', '--prompts', '/dev/zero'] },
  {
    name: '--prompts a FIFO',
    args: ['compare', '--backends', 'ts:f32', '--prompts', '$S/fifo'],
    setup: (s) => mkfifo(join(s, 'fifo')),
  },
  {
    name: '--prompts empty',
    args: ['compare', '--backends', 'ts:f32', '--prompts', '$S/p.txt'],
    setup: (s) => writeFileSync(join(s, 'p.txt'), '\n\n'),
  },
  {
    name: '--prompts JSON with a number',
    args: ['compare', '--backends', 'ts:f32', '--prompts', '$S/p.json'],
    setup: (s) => writeFileSync(join(s, 'p.json'), '["a", 3]'),
  },
  { name: 'bench compare: a dir', args: ['bench', 'compare', '$S', '$S'] },
  {
    name: 'bench compare: not JSON',
    args: ['bench', 'compare', '$S/a.json', '$S/a.json'],
    setup: (s) => writeFileSync(join(s, 'a.json'), '{'),
  },
  // model directories
  { name: 'model: missing dir', args: gen('--model', '$S/none') },
  { name: 'model: a file', args: gen('--model', '$S/f'), setup: (s) => writeFileSync(join(s, 'f'), '') },
  {
    name: 'config.json a FIFO',
    args: gen('--model', '$M'),
    setup: (_, m) => replaceWith(join(m, 'config.json'), mkfifo),
  },
  {
    name: 'config.json /dev/zero link',
    args: gen('--model', '$M'),
    setup: (_, m) => replaceWith(join(m, 'config.json'), (p) => spawnSync('ln', ['-s', '/dev/zero', p])),
  },
  {
    name: 'tokenizer.json a FIFO',
    args: gen('--model', '$M'),
    setup: (_, m) => replaceWith(join(m, 'tokenizer.json'), mkfifo),
  },
  {
    name: 'model.safetensors a dir',
    args: gen('--model', '$M'),
    setup: (_, m) => replaceWith(join(m, 'model.safetensors'), (p) => mkdirSync(p)),
  },
  {
    name: 'onnx/model.onnx a dir',
    args: gen('--model', '$M', '--backend', 'ort-node:cpu'),
    setup: (_, m) => replaceWith(join(m, 'onnx', 'model.onnx'), (p) => mkdirSync(p)),
  },
  {
    name: 'config.json not JSON',
    args: gen('--model', '$M'),
    setup: (_, m) => writeFileSync(join(m, 'config.json'), '{'),
  },
  configValue('config n_layer 1e9', 'config.json', 'n_layer', 1e9),
  configValue('config n_layer 1e308', 'config.json', 'n_layer', 1e308),
  configValue('config n_layer 3', 'config.json', 'n_layer', 3),
  configValue('config n_embd 65', 'config.json', 'n_embd', 65),
  configValue('config vocab 10', 'config.json', 'vocab_size', 10),
  configValue('config tie "no"', 'config.json', 'tie_word_embeddings', 'no'),
  configValue('config model_type bert', 'config.json', 'model_type', 'bert'),
  configValue('config eps -1', 'config.json', 'layer_norm_epsilon', -1),
  configValue('generation_config eos 1e9', 'generation_config.json', 'eos_token_id', 1e9),
  {
    name: 'safetensors truncated',
    args: gen('--model', '$M'),
    setup: (_, m) => truncateSync(join(m, 'model.safetensors'), 1000),
  },
  {
    name: 'safetensors empty',
    args: gen('--model', '$M'),
    setup: (_, m) => truncateSync(join(m, 'model.safetensors'), 0),
  },
  {
    name: 'safetensors header length lie',
    args: gen('--model', '$M'),
    setup: (_, m) => {
      const file = join(m, 'model.safetensors');
      const bytes = readFileSync(file);
      bytes.writeBigUInt64LE(2n ** 60n, 0);
      writeFileSync(file, bytes);
    },
  },
  {
    name: 'onnx truncated (ort-node:cpu)',
    args: gen('--model', '$M', '--backend', 'ort-node:cpu'),
    setup: (_, m) => truncateSync(join(m, 'onnx', 'model.onnx'), 100_000),
  },
  {
    name: 'onnx truncated (ort-web:wasm)',
    args: gen('--model', '$M', '--backend', 'ort-web:wasm'),
    setup: (_, m) => truncateSync(join(m, 'onnx', 'model.onnx'), 100_000),
  },
  {
    name: 'onnx truncated (chromium:wasm)',
    args: gen('--model', '$M', '--backend', 'chromium:wasm'),
    setup: (_, m) => truncateSync(join(m, 'onnx', 'model.onnx'), 100_000),
  },
  {
    name: 'tokenizer.json not JSON',
    args: gen('--model', '$M'),
    setup: (_, m) => writeFileSync(join(m, 'tokenizer.json'), '{'),
  },
  // goldens
  {
    name: 'golden tolerances 1e9, logprobs +5',
    args: ['check', '--golden', '$S/g', '--backends', 'ts:f32'],
    setup: (s) =>
      editedGoldens(s, (g) => {
        const tolerances = g.tolerances as Record<string, Record<string, number>>;
        for (const kind of Object.values(tolerances)) for (const d of Object.keys(kind)) kind[d] = 1e9;
        const [sequence] = (g.expected as { sequences: GoldenSequenceJson[] }).sequences;
        for (const step of sequence!.steps) {
          step.logprob += 5;
          for (const entry of step.top) entry[1] += 5;
        }
        sequence!.totalLogprob = sequence!.steps.reduce((sum, step) => sum + step.logprob, 0);
      }),
  },
  {
    name: 'golden totalLogprob changed',
    args: ['check', '--golden', '$S/g', '--backends', 'ts:f32'],
    setup: (s) =>
      editedGoldens(s, (g) => {
        (g.expected as { sequences: GoldenSequenceJson[] }).sequences[0]!.totalLogprob += 1;
      }),
  },
  { name: 'golden dir missing', args: ['check', '--golden', '$S/none', '--backends', 'ts:f32'] },
  {
    name: 'golden file a FIFO',
    args: ['check', '--golden', '$S/g', '--backends', 'ts:f32'],
    setup: (s) => {
      mkdirSync(join(s, 'g'));
      mkfifo(join(s, 'g', 'x.json'));
    },
  },
];

interface Verdict {
  readonly kind: 'clean' | 'crash' | 'accepted' | 'leak';
  readonly detail: string;
}

function listTree(dir: string): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(path, statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    }
  };
  walk(dir);
  return files;
}

const chromiumRoots = () => readdirSync(tmpdir()).filter((n) => n.startsWith('decode-harness-chromium-'));

async function main(): Promise<void> {
  await loadModelDir('tiny-gpt2'); // built once, before any case
  const root = mkdtempSync(join(tmpdir(), 'decode-harness-campaign-'));
  const counts = { tried: 0, clean: 0, crash: 0, accepted: 0, leak: 0 };
  for (const c of CASES.filter((x) => only === undefined || x.name.includes(only))) {
    const scratch = mkdtempSync(join(root, 'case-'));
    const model = join(scratch, 'model');
    cpSync(embeddedModelDir('tiny-gpt2'), model, { recursive: true });
    c.setup?.(scratch, model);
    const before = listTree(scratch);
    const args = c.args.map((a) => a.replaceAll('$S', scratch).replaceAll('$M', model));
    // Paths named on the command line outside the scratch dir (`/dev/null`): kept as they were?
    const identity = (p: string) => {
      const st = lstatSync(p, { throwIfNoEntry: false });
      return st === undefined ? 'absent' : `${st.ino}:${st.mode}`;
    };
    const named = args.filter((a) => a.startsWith('/') && !a.startsWith(scratch));
    const namedBefore = named.map(identity);
    const t0 = performance.now();
    const run = spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: scratch,
    });
    const seconds = (performance.now() - t0) / 1000;
    const after = listTree(scratch);
    const stderr = run.stderr.trim();
    let verdict: Verdict;
    const changed = [...after]
      .filter(([p, m]) => before.get(p) !== m)
      .map(([p]) => p.slice(scratch.length + 1));
    const gone = [...before.keys()].filter((p) => !after.has(p)).map((p) => p.slice(scratch.length + 1));
    // Profiles carry their owner's pid: only this run's count (other runs may be live beside it).
    const newProfiles = chromiumRoots().filter((p) => p.startsWith(`decode-harness-chromium-${run.pid}-`));
    const replaced = named.filter((p, i) => identity(p) !== namedBefore[i]);
    // A replaced device or file outside the scratch dir is the worst outcome, whatever the exit.
    if (replaced.length > 0) verdict = { kind: 'leak', detail: `replaced: ${replaced.join(', ')}` };
    else if (run.error || run.status === null)
      verdict = { kind: 'crash', detail: `no exit (${run.error?.message ?? run.signal})` };
    else if (run.status !== 2)
      verdict = { kind: 'accepted', detail: `exit ${run.status}: ${stderr.split('\n')[0] ?? ''}` };
    else if (/\n\s+at /.test(run.stderr) || stderr.split('\n').length !== 1 || /internal error/.test(stderr))
      verdict = { kind: 'crash', detail: stderr.split('\n').slice(0, 2).join(' | ') };
    else if (changed.length + gone.length + newProfiles.length > 0)
      verdict = {
        kind: 'leak',
        detail: `written: ${changed.join(', ')} removed: ${gone.join(', ')} profiles: ${newProfiles.join(', ')}`,
      };
    else verdict = { kind: 'clean', detail: stderr };
    counts.tried++;
    counts[verdict.kind]++;
    const mark = verdict.kind === 'clean' ? 'ok  ' : verdict.kind.toUpperCase();
    process.stdout.write(`${mark} ${c.name} (${seconds.toFixed(1)} s): ${verdict.detail.slice(0, 220)}\n`);
    rmSync(scratch, { recursive: true, force: true });
  }
  rmSync(root, { recursive: true, force: true });
  process.stdout.write(
    `\ntried ${counts.tried}, clean ${counts.clean}, crashes ${counts.crash}, wrong acceptances ${counts.accepted}, leaks ${counts.leak}\n`,
  );
  process.exitCode = counts.crash + counts.accepted + counts.leak === 0 ? 0 : 1;
}

await main();
