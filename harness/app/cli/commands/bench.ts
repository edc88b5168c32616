import { join } from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { writeFilesAtomic } from '../../../core/io/atomic-write.ts';
import { checkOutputDir } from '../../../core/io/output-paths.ts';
import { projectPath } from '../../../core/project-root.ts';
import { BENCH_SAMPLING, NOISY_CV } from '../../../engine/bench/bench-config.ts';
import type { BenchSettings } from '../../../engine/bench/bench-record.ts';
import { stderrProgress } from '../../../engine/bench/progress.ts';
import { runBench } from '../../../engine/bench/run-bench.ts';
import { parseStrategy, type Strategy } from '../../../engine/decode/generation-config.ts';
import { SHAPE_MODEL_NAMES } from '../../../engine/model-gen/shape-models.ts';
import { backendFactory, referenceFactory, resolveBackendIds } from '../../registry.ts';
import { benchCsvTable, benchDocument } from '../../report/bench-document.ts';
import { renderCsvTable } from '../../report/render-csv.ts';
import { renderHtml } from '../../report/render-html.ts';
import { renderMarkdown } from '../../report/render-markdown.ts';
import { renderText } from '../../report/render-text.ts';
import { COMMON_OPTIONS, intOption, parseCommandArgs } from '../args.ts';
import { GRAPH_OPTIONS, GRAPH_OPTIONS_HELP, graphChoice } from '../graph-options.ts';
import { intListOption } from '../int-list-option.ts';
import { runBenchCompare } from './bench-compare.ts';
import { runBenchMicro } from './bench-micro.ts';
import { runBenchTargets } from './bench-targets.ts';

const REPORTS_DIR = projectPath('reports');

const HELP = `decode-harness bench [--model M[,M…]] [--dtype D | --onnx FILE] [--backends ID,ID|all (ort-node:cpu)] [bench options] [--out DIR] [--json|--md|--csv]
decode-harness bench compare A.json B.json [C.json …] [--fail-if-slower PCT] [--json] [--out DIR]
decode-harness bench micro      tinybench micro-benchmarks: ts:f32 kernels vs naive twins, processor chain
decode-harness bench targets    the performance targets table (what \`npm run bench\` prints)

Throughput per backend, model and sweep point: prefill (pp<C>, C = depth + prompt tokens) and
decode (tg<N> @ d<C>) tokens/s, each as the median with quartiles, min/max, mean ± sd and coefficient of variation over
repetitions (raw samples kept), labelled noisy above ${100 * NOISY_CV}% CV; process CPU time beside wall
time for single-threaded backends; time to first token; inter-token latency p50/p90/p99; token
choice, tokenisation and detokenisation timed apart from the model; peak RSS, KV-cache bytes and
GPU memory where it can be known; each decode figure against the memory-bandwidth roofline,
probed before and after every repetition. A backend must pass the conformance suite on the model
first (cached per backend and model sha256 in .cache/conformance/); one that fails is reported as
refused, with the failing checks.
  --model          shape models (${SHAPE_MODEL_NAMES.join(', ')}: built into .cache/models/ on
                   first use), embedded names (tiny-gpt2) or model dirs; comma-separated (default tiny-gpt2)
  --backends       comma-separated ids, or all: every available one (default ort-node:cpu, as for
                   generate; all includes chromium:webgpu, which on SwiftShader takes ~1 s a token)
  sweeps (comma-separated lists; one result row per combination):
  --prompt-tokens N,…  synthetic prompt lengths (16)
  --depth D,…          tokens already in the KV cache, as llama-bench's -d (0); prefilled with the
                       prompt, so a point's tests are pp<D+N> and tg<M> @ d<D+N>
  --batch B,…          rows decoded together, greedy only (1); refused up front when the estimated
                       memory (weights + KV cache + prefill logits) exceeds what is available
  --new-tokens N     tokens to generate, ≥ 2 (64)      --repetitions N  timed runs (5)
  --warmup N         untimed runs first (1)            --threads N      intra-op threads (backend default)
  --strategy greedy|sample|beam (greedy); sample = temperature ${BENCH_SAMPLING.temperature}, top-k ${BENCH_SAMPLING.topK}, top-p ${BENCH_SAMPLING.topP},
                   repetition penalty ${BENCH_SAMPLING.repetitionPenalty}, seed 42     --num-beams N   beam width (4)
  --recheck        run the conformance suite even when a cached pass exists
  --out DIR        write bench.json, bench.md, bench.csv and bench.html there (default reports/)
  --json | --md | --csv   print that format on stdout instead of the table (progress stays on stderr)
${GRAPH_OPTIONS_HELP}
                 (of every --model; a shape model has only its fp32 graph)`;

const SUBCOMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = {
  compare: runBenchCompare,
  micro: runBenchMicro,
  targets: runBenchTargets,
};

export async function runBenchCommand(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  const sub = first === undefined ? undefined : SUBCOMMANDS[first];
  if (sub) return sub(rest);
  const { values } = parseCommandArgs('bench', argv, {
    ...COMMON_OPTIONS,
    ...GRAPH_OPTIONS,
    model: { type: 'string', default: 'tiny-gpt2' },
    backends: { type: 'string', default: 'ort-node:cpu' },
    'prompt-tokens': { type: 'string' },
    depth: { type: 'string' },
    'new-tokens': { type: 'string' },
    repetitions: { type: 'string' },
    warmup: { type: 'string' },
    threads: { type: 'string' },
    batch: { type: 'string' },
    strategy: { type: 'string' },
    'num-beams': { type: 'string' },
    recheck: { type: 'boolean' },
    out: { type: 'string' },
    md: { type: 'boolean' },
    csv: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const formats = (['json', 'md', 'csv'] as const).filter((f) => values[f]);
  if (formats.length > 1) {
    throw new UsageError(
      `--${formats.join(' and --')} both print on stdout; pick one (files for all are in --out)`,
    );
  }
  const out = checkOutputDir('--out', values.out ?? REPORTS_DIR);
  const models = (values.model ?? 'tiny-gpt2').split(',').filter((m) => m.length > 0);
  if (models.length === 0) throw new UsageError('--model names no model; e.g. --model distilgpt2-shape');
  const twice = models.find((m, i) => models.indexOf(m) !== i);
  if (twice !== undefined) throw new UsageError(`--model lists ${twice} twice; give each model once`);
  const settings = benchSettings(values); // cheap checks first: resolving `all` probes every backend
  const report = await runBench(
    {
      models,
      backends: (await resolveBackendIds(values.backends ?? 'ort-node:cpu')).map(backendFactory),
      settings,
      graph: graphChoice(values),
      reference: referenceFactory,
      recheck: values.recheck ?? false,
    },
    stderrProgress(),
  );
  for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
  const doc = benchDocument(report);
  const files = {
    'bench.json': `${JSON.stringify(report, null, 2)}\n`,
    'bench.md': renderMarkdown(doc),
    'bench.csv': renderCsvTable(benchCsvTable(report)),
    'bench.html': renderHtml(doc),
  };
  writeFilesAtomic(out, files);
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else if (values.md) process.stdout.write(files['bench.md']);
  else if (values.csv) process.stdout.write(files['bench.csv']);
  else process.stdout.write(`${renderText(doc)}\nreports: ${join(out, 'bench.{json,md,csv,html}')}\n`);
  const failed = report.results.some((r) => r.status === 'refused' || r.status === 'error');
  return failed ? 1 : 0;
}

/** Validate the numeric and strategy options; every message names the value and the fix. */
export function benchSettings(values: {
  'prompt-tokens'?: string;
  depth?: string;
  'new-tokens'?: string;
  repetitions?: string;
  warmup?: string;
  threads?: string;
  batch?: string;
  strategy?: string;
  'num-beams'?: string;
}): BenchSettings {
  const strategy = strategyOption(values.strategy, values['num-beams']);
  const numBeams = strategy === 'beam' ? intOption('num-beams', values['num-beams'], 4, 2, 64) : 1;
  // No fixed cap on batch or lengths: each model's context and the memory estimate bound them (run-bench.ts).
  const batches = intListOption('batch', values.batch, [1], 1, 1_000_000);
  const batch = batches.find((b) => b > 1);
  if (batch !== undefined && strategy !== 'greedy') {
    throw new UsageError(
      `--batch ${batch} runs batched greedy decoding; --strategy ${strategy} decodes one prompt — drop --batch or use --strategy greedy`,
    );
  }
  return {
    promptTokens: intListOption('prompt-tokens', values['prompt-tokens'], [16], 1, 1_000_000),
    depths: intListOption('depth', values.depth, [0], 0, 1_000_000),
    batches,
    newTokens: intOption('new-tokens', values['new-tokens'], 64, 2, 1_000_000),
    repetitions: intOption('repetitions', values.repetitions, 5, 1, 10_000),
    warmup: intOption('warmup', values.warmup, 1, 0, 10_000),
    threads: values.threads === undefined ? null : intOption('threads', values.threads, 1, 1, 1024),
    strategy,
    numBeams,
    sampling: strategy === 'sample' ? { ...BENCH_SAMPLING } : null,
    eosIgnored: true,
    prompt: 'synthetic-ids',
    noisyCv: NOISY_CV,
  };
}

function strategyOption(raw: string | undefined, numBeams: string | undefined): Strategy {
  if (raw === undefined) return numBeams !== undefined && numBeams !== '1' ? 'beam' : 'greedy';
  const strategy = parseStrategy(raw);
  if (strategy !== 'beam' && numBeams !== undefined && numBeams !== '1') {
    throw new UsageError(`--num-beams ${numBeams} needs --strategy beam (got --strategy ${raw})`);
  }
  return strategy;
}
