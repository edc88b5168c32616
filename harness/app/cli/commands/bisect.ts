import os from 'node:os';
import { join } from 'node:path';
import type { OpenProbe } from '../../../core/backend/contract.ts';
import { BackendUnavailable, UsageError } from '../../../core/errors.ts';
import { writeFilesAtomic } from '../../../core/io/atomic-write.ts';
import { checkOutputDir } from '../../../core/io/output-paths.ts';
import { parseDecimal } from '../../../core/parse-decimal.ts';
import { againstGraph } from '../../../engine/bisect/against-graph.ts';
import { NMSE_LIMITS } from '../../../engine/bisect/node-comparison.ts';
import { checkBisectInput, runBisect } from '../../../engine/bisect/run-bisect.ts';
import { loadTokenizer } from '../../../engine/model/tokenizer.ts';
import { loadModelDir } from '../../../engine/model-gen/load-model-dir.ts';
import { allBackendFactories, backendFactory } from '../../registry.ts';
import { bisectDocument } from '../../report/bisect-document.ts';
import { renderHtml } from '../../report/render-html.ts';
import { renderMarkdown } from '../../report/render-markdown.ts';
import { renderText } from '../../report/render-text.ts';
import { COMMON_OPTIONS, intOption, parseCommandArgs } from '../args.ts';
import { GRAPH_OPTIONS, GRAPH_OPTIONS_HELP, graphChoice } from '../graph-options.ts';

const DEFAULT_PROMPT = 'The quick brown fox jumps over the lazy dog';
const DEFAULT_BACKEND = 'ort-node:cpu';
/** A quarter of the machine's memory: room for the runtimes beside the two sides' tensors. */
const DEFAULT_MEMORY_MB = Math.floor(os.totalmem() / 4 / 2 ** 20);

const HELP = `decode-harness bisect --backends A,B [--model DIR|NAME] [--dtype D | --onnx FILE] [--prompt TEXT] [--step N]
decode-harness bisect --against DIR_OR_FILE [--backend ID (${DEFAULT_BACKEND})] [--model DIR|NAME] [--dtype D | --onnx FILE] …
                      [--nodes PATTERN] [--max-nmse X] [--max-memory-mb N] [--out DIR] [--json]
Where do two backends (or two graphs) part? Runs one pass of the graph with every intermediate tensor
exposed as an output, on both sides with the same inputs, and compares node by node in graph order:
max |Δ|, NMSE, the reference's scale, and whether a node's error is larger than its inputs'. Reports
the first node where the sides part, and the first float16 overflow (±Inf, NaN or a saturated ±65504
where the other side is finite). Exit 1 when a node parts or overflows, 0 when none does.
  --backends A,B    tested A against reference B (B may be onnx:f64, the graph in float64)
  --against X       the model's graph (reference) against another graph of it on one --backend:
                    a model dir or an .onnx file (a variant, or an edited copy); nodes align by
                    output tensor names, and nodes without a counterpart are listed
  --prompt TEXT     default ${JSON.stringify(DEFAULT_PROMPT)}
  --step N          0: the prefill (default); N: the N-th cached decode step after the reference's
                    greedy tokens, both sides reading the reference's KV cache
  --cache reference|own  at --step N, whose KV cache the step reads: the reference's on both sides
                    (default: the error is made in that pass) or each side's own, carried from the
                    prefill (the error includes what earlier passes left in the cache)
  --nodes PATTERN   expose only nodes whose name, op type or output matches this regular expression
  --max-nmse X      the parting limit (default by the less precise side's dtype: ${Object.entries(NMSE_LIMITS)
    .map(([d, l]) => `${d} ${l}`)
    .join(', ')})
  --max-memory-mb N most the exposed tensors of both sides may take (default ${DEFAULT_MEMORY_MB}, a quarter of memory)
  --out DIR         also write bisect.json, bisect.md and bisect.html (NMSE along the graph) into DIR
  --json            print one decode-harness/bisect@1 object on stdout and nothing else there
${GRAPH_OPTIONS_HELP}`;

export async function runBisectCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('bisect', argv, {
    ...COMMON_OPTIONS,
    ...GRAPH_OPTIONS,
    model: { type: 'string', default: 'tiny-gpt2' },
    backends: { type: 'string' },
    backend: { type: 'string' },
    against: { type: 'string' },
    prompt: { type: 'string' },
    step: { type: 'string' },
    cache: { type: 'string' },
    nodes: { type: 'string' },
    'max-nmse': { type: 'string' },
    'max-memory-mb': { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // Everything a user can get wrong is checked before any backend starts.
  if (values.out !== undefined) checkOutputDir('--out', values.out);
  const [testedId, referenceId] = sideIds(values);
  const openTested = probeOpener(testedId);
  const openReference = probeOpener(referenceId);
  const step = intOption('step', values.step, 0, 0, Number.MAX_SAFE_INTEGER);
  const cache = cacheOption(values.cache);
  const nodes = values.nodes === undefined ? null : nodePattern(values.nodes);
  const nmseLimit =
    values['max-nmse'] === undefined
      ? undefined
      : parseDecimal('--max-nmse', values['max-nmse'], {
          min: 0,
          max: Number.POSITIVE_INFINITY,
          example: '1e-6',
        });
  const memoryBudgetBytes =
    intOption('max-memory-mb', values['max-memory-mb'], DEFAULT_MEMORY_MB, 1, Number.MAX_SAFE_INTEGER) *
    2 ** 20;
  for (const id of new Set([testedId, referenceId])) await checkAvailable(id);
  const model = await loadModelDir(values.model ?? 'tiny-gpt2', graphChoice(values));
  const testedModel = values.against === undefined ? model : await againstGraph(model, values.against);
  const text = values.prompt ?? DEFAULT_PROMPT;
  const ids = (await loadTokenizer(model)).encode(text);
  if (ids.length === 0)
    throw new UsageError(`--prompt ${JSON.stringify(text)} encodes to no tokens; give some text`);
  const input = {
    tested: { backendId: testedId, open: openTested, model: testedModel },
    reference: { backendId: referenceId, open: openReference, model },
    prompt: { text, ids },
    step,
    cache,
    nodes,
    ...(nmseLimit === undefined ? {} : { nmseLimit }),
    memoryBudgetBytes,
    onProgress: (line: string) => process.stderr.write(`… ${line}\n`),
  };
  checkBisectInput(input);
  const record = await runBisect(input);
  const doc = bisectDocument(record);
  if (values.out !== undefined) {
    writeFilesAtomic(values.out, {
      'bisect.json': `${JSON.stringify(record, null, 2)}\n`,
      'bisect.md': renderMarkdown(doc),
      'bisect.html': renderHtml(doc),
    });
    process.stderr.write(`… reports: ${join(values.out, 'bisect.{json,md,html}')}\n`);
  }
  process.stdout.write(values.json ? `${JSON.stringify(record)}\n` : renderText(doc));
  return record.parting === null && record.firstOverflow === null ? 0 : 1;
}

/** [tested, reference]: --backends A,B, or --against with one --backend for both graphs. */
function sideIds(values: { backends?: string; backend?: string; against?: string }): [string, string] {
  if (values.against !== undefined) {
    if (values.backends !== undefined) {
      throw new UsageError(
        '--against compares two graphs on one backend; pass --backend ID instead of --backends',
      );
    }
    const id = values.backend ?? DEFAULT_BACKEND;
    return [id, id];
  }
  if (values.backend !== undefined) {
    throw new UsageError('--backend goes with --against; to bisect two backends pass --backends A,B');
  }
  if (values.backends === undefined) {
    throw new UsageError(
      '`decode-harness bisect` needs --backends A,B (or --against DIR_OR_FILE); e.g. --backends ort-node:cpu,onnx:f64',
    );
  }
  const ids = values.backends.split(',').map((s) => s.trim());
  if (ids.length !== 2 || ids.some((id) => id === '')) {
    throw new UsageError(
      `--backends ${JSON.stringify(values.backends)} must name exactly two backends, tested then reference; e.g. --backends ort-node:cpu,onnx:f64`,
    );
  }
  if (ids[0] === ids[1]) {
    throw new UsageError(
      `--backends names ${ids[0]} twice; bisect two different backends, or one backend on two graphs with --against`,
    );
  }
  return [ids[0]!, ids[1]!];
}

/** The backend's probe opener, or why it has none (it runs no graph). */
function probeOpener(id: string): OpenProbe {
  const factory = backendFactory(id);
  const open = factory.openProbe;
  if (open === undefined) {
    const able = allBackendFactories()
      .filter((f) => f.openProbe !== undefined)
      .map((f) => f.id);
    throw new UsageError(
      `${id} cannot expose a graph's intermediate tensors (it computes the model's math from model.safetensors, not an ONNX graph); bisect runs on ${able.join(', ')}`,
    );
  }
  return open;
}

/** Before any graph is read or written: a backend that cannot run here says why (exit 2). */
async function checkAvailable(id: string): Promise<void> {
  const availability = await backendFactory(id).availability();
  if (!availability.available) throw new BackendUnavailable(id, availability.reason, availability.fix);
}

function cacheOption(raw = 'reference'): 'reference' | 'own' {
  if (raw === 'reference' || raw === 'own') return raw;
  throw new UsageError(
    `--cache ${JSON.stringify(raw)} must be reference or own (whose KV cache --step N reads)`,
  );
}

function nodePattern(raw: string): RegExp {
  try {
    return new RegExp(raw);
  } catch (error) {
    throw new UsageError(
      `--nodes ${JSON.stringify(raw)} is not a regular expression (${(error as Error).message}); e.g. --nodes 'h\\.0\\.|LayerNorm'`,
    );
  }
}
