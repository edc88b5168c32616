import { join } from 'node:path';
import type { ComputeDtype, LogitsSource } from '../../../core/backend/contract.ts';
import { BackendUnavailable, UsageError } from '../../../core/errors.ts';
import { writeFilesAtomic } from '../../../core/io/atomic-write.ts';
import { checkOutputDir } from '../../../core/io/output-paths.ts';
import { maxPositions } from '../../../core/model/model-config.ts';
import { isOnnxDtype, ONNX_DTYPES, type OnnxDtype } from '../../../core/model/onnx-variants.ts';
import { compareAlong, compareBackends, compareOnText } from '../../../engine/compare/compare-backends.ts';
import type { CompareRecord, GateResult, QuantizationSplit } from '../../../engine/compare/compare-record.ts';
import { GATES, gateFailureLine, gateLimits, parseGateOverrides } from '../../../engine/compare/gates.ts';
import { graphLabelledSource } from '../../../engine/compare/graph-labelled-source.ts';
import { DEFAULT_COMPARE_PROMPTS, readPromptFile } from '../../../engine/compare/prompt-set.ts';
import {
  DEFAULT_TEXT_CTX,
  planTextScoring,
  readTextFile,
  textChunks,
} from '../../../engine/compare/text-chunks.ts';
import { checkLengths } from '../../../engine/decode/lengths.ts';
import { eosTokenIds } from '../../../engine/model/eos-token-ids.ts';
import { modelIdentity } from '../../../engine/model/model-identity.ts';
import { loadTokenizer } from '../../../engine/model/tokenizer.ts';
import { loadModelDir } from '../../../engine/model-gen/load-model-dir.ts';
import {
  backendFactory,
  createBackend,
  GRAPH_REFERENCE_BACKEND_ID,
  referenceChoice,
  referenceIdFor,
  resolveBackendIds,
} from '../../registry.ts';
import { compareDocument } from '../../report/compare-blocks.ts';
import { renderHtml } from '../../report/render-html.ts';
import { renderMarkdown } from '../../report/render-markdown.ts';
import { renderText } from '../../report/render-text.ts';
import { COMMON_OPTIONS, intOption, parseCommandArgs, requireOption } from '../args.ts';
import { GRAPH_OPTIONS, GRAPH_OPTIONS_HELP, graphChoice } from '../graph-options.ts';

const DEFAULT_MAX_NEW_TOKENS = 32;

const HELP = `decode-harness compare --backends ID,ID[,…] [--model DIR|NAME] [--dtype D | --onnx FILE | --dtypes D,D] [--reference ID]
                       [--prompts FILE] [--max-new-tokens N (default ${DEFAULT_MAX_NEW_TOKENS})] [--out DIR] [--json]
                       [--text FILE [--ctx N] [--chunks N]]
                       [--max-mean-kld X] [--min-same-top-p PCT] [--max-abs-logit-diff X]
Do my backends agree on logits? Every backend is teacher-forced along the reference's greedy
continuation of each prompt and scored per step against it (KLD, Δp, Same top p, max |Δlogit|, NMSE,
named as llama.cpp's perplexity --kl-divergence prints them); then each runs greedy on its own and
the first step where it leaves the reference is labelled near-tie or divergence.
  --backends     the backends to measure (\`all\`: every available one); the reference always runs
  --reference    default ts:f64 where model.safetensors holds the graph's weights, else ort-node:cpu
  --prompts      a text file, one prompt per line, or a .json array of strings (default: 8 built-in prompts)
  --text FILE    score a text instead of prompts, as llama.cpp's perplexity does: chunks of --ctx
                 tokens (default min(model context, ${DEFAULT_TEXT_CTX})), one forward pass each, the second
                 half of every chunk scored on the text's next token; --chunks N scores the first N only
  --out DIR      also write compare.json, compare.md and compare.html (per-step plots) into DIR
  --json         print one decode-harness/compare@1 object on stdout and nothing else there
  --dtypes D,D   quantization quality: every backend on every listed graph variant (fp32,q8,q4,…),
                 each labelled \`<backend> <dtype>\`, against the reference on the fp32 graph; a pair
                 that cannot run is listed, not fatal; only gates given on the command line count
${GRAPH_OPTIONS_HELP}
Gates (exit 1 when one fails) default to the float noise of the pair's less precise dtype,
e.g. for float32: ${defaultGatesText('float32')} (README "Comparing backends").`;

function defaultGatesText(dtype: ComputeDtype): string {
  const limits = gateLimits({}, [dtype]);
  return GATES.map((g) => `--${g.id} ${limits[g.id].limit}`).join(' ');
}

export async function runCompare(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('compare', argv, {
    ...COMMON_OPTIONS,
    ...GRAPH_OPTIONS,
    dtypes: { type: 'string' },
    model: { type: 'string', default: 'tiny-gpt2' },
    backends: { type: 'string' },
    reference: { type: 'string' },
    prompts: { type: 'string' },
    text: { type: 'string' },
    ctx: { type: 'string' },
    chunks: { type: 'string' },
    out: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    'max-mean-kld': { type: 'string' },
    'min-same-top-p': { type: 'string' },
    'max-abs-logit-diff': { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // Everything a user can get wrong is checked before any backend starts.
  if (values.out !== undefined) checkOutputDir('--out', values.out);
  if (values.reference !== undefined) backendFactory(values.reference);
  const backendList = requireOption('compare', 'backends', values.backends);
  const gates = parseGateOverrides(values);
  checkTextOptions(values);
  const text = values.text === undefined ? undefined : readTextFile(values.text);
  const texts = values.prompts === undefined ? [...DEFAULT_COMPARE_PROMPTS] : readPromptFile(values.prompts);
  const modelArg = values.model ?? 'tiny-gpt2';
  const dtypes = values.dtypes === undefined ? undefined : parseDtypes(values.dtypes, values);
  // With --dtypes the reference runs the fp32 graph and every backend runs every listed graph.
  const model = await loadModelDir(modelArg, dtypes ? { dtype: 'fp32' } : graphChoice(values));
  const variants = dtypes
    ? await Promise.all(dtypes.map((dtype) => loadModelDir(modelArg, { dtype })))
    : undefined;
  const referenceId = values.reference ?? referenceIdFor(model);
  const backendIds = dtypes
    ? await resolveBackendIds(backendList)
    : await comparedIds(backendList, referenceId);
  const positions = maxPositions(model.config);
  const maxNewTokens = intOption(
    'max-new-tokens',
    values['max-new-tokens'],
    DEFAULT_MAX_NEW_TOKENS,
    1,
    positions,
  );
  const tokenizer = await loadTokenizer(model);
  const textIds = text === undefined ? undefined : tokenizer.encode(text);
  const scoring =
    textIds === undefined
      ? undefined
      : planTextScoring(
          values.text!,
          textIds.length,
          intOption(
            'ctx',
            values.ctx,
            Math.min(positions, DEFAULT_TEXT_CTX),
            3,
            positions,
            `a chunk scores its second half, so at least 3; the model's context is ${positions}`,
          ),
          values.chunks === undefined
            ? undefined
            : intOption('chunks', values.chunks, 1, 1, Number.MAX_SAFE_INTEGER),
        );
  const chunks = scoring ? textChunks(textIds!, scoring) : [];
  const prompts = scoring
    ? []
    : texts.map((text, i) => {
        const ids = tokenizer.encode(text);
        if (ids.length === 0)
          throw new UsageError(`prompt ${i} ${JSON.stringify(text)} encodes to no tokens; remove it`);
        checkLengths(ids.length, maxNewTokens, positions);
        return { text, ids };
      });

  const progress = (line: string) => process.stderr.write(`… ${line}\n`);
  const opened: LogitsSource[] = [];
  try {
    const reference = await createBackend(referenceId, model);
    opened.push(reference);
    const backends: LogitsSource[] = [];
    const notRun: { id: string; reason: string }[] = [];
    if (variants === undefined) {
      for (const id of backendIds) backends.push(await openInto(opened, createBackend(id, model)));
    } else {
      for (const variant of variants) {
        for (const id of backendIds) {
          if (id === referenceId && variant.graph.file === model.graph.file) continue; // the reference itself
          const label = `${id} ${variant.graph.dtype}`;
          try {
            backends.push(
              graphLabelledSource(
                await openInto(opened, createBackend(id, variant)),
                `${variant.graph.dtype}`,
              ),
            );
          } catch (error) {
            if (!(error instanceof BackendUnavailable)) throw error;
            progress(`${label}: not run: ${error.reason}`);
            notRun.push({ id: label, reason: `${error.reason}; ${error.fix}` });
          }
        }
      }
      if (backends.length === 0)
        throw new UsageError(
          `--dtypes ${values.dtypes}: no listed backend can run any listed graph here (${notRun.map((n) => n.id).join(', ')}); see \`decode-harness backends --model ${modelArg}\``,
        );
    }
    // Each graph hashed once: with --dtypes fp32,… the reference's graph is among the variants.
    const variantGraphs =
      variants && (await Promise.all(variants.map(async (v) => (await modelIdentity(v)).graph)));
    const graph =
      variantGraphs?.find((g) => g.file === model.graph.file) ?? (await modelIdentity(model)).graph;
    const common = {
      model: {
        name: model.name,
        path: model.path,
        graph,
        ...(variantGraphs ? { variants: variantGraphs } : {}),
      },
      reference,
      referenceChoice: referenceChoice(model, values.reference),
      backends,
      gates,
      onProgress: progress,
    };
    const compared: CompareRecord = scoring
      ? await compareOnText({ ...common, scoring, chunks })
      : await compareBackends({
          ...common,
          prompts,
          maxNewTokens,
          eosTokenIds: eosTokenIds(model),
          tokenText: (id) => tokenizer.tokenText(id),
        });
    // A quantized graph exceeds float-noise limits by design: with --dtypes only the gates given count.
    const counted = (gate: GateResult) => !dtypes || gate.limitSource.startsWith('--');
    const gated = compared.backends.map((a) => {
      const kept = a.gates.filter(counted);
      return { ...a, gates: kept, passed: kept.every((g) => g.passed) };
    });
    const split =
      dtypes && backendIds.includes(GRAPH_REFERENCE_BACKEND_ID)
        ? await quantizationSplit(compared, backends, reference, {
            dtypes,
            referenceGraphDtype: model.graph.dtype,
            run: (variantReference, others) =>
              scoring
                ? compareOnText({
                    ...common,
                    reference: variantReference,
                    backends: others,
                    scoring,
                    chunks,
                  })
                : compareAlong({
                    ...common,
                    reference: variantReference,
                    backends: others,
                    prompts,
                    continuations: compared.prompts.map((p) => p.referenceIds),
                  }),
          })
        : undefined;
    const record: CompareRecord = {
      ...compared,
      backends: gated,
      passed: gated.every((a) => a.passed),
      ...(split && split.length > 0 ? { split } : {}),
      ...(notRun.length > 0 ? { notRun } : {}),
    };
    const doc = compareDocument(record);
    if (values.out !== undefined) {
      writeFilesAtomic(values.out, {
        'compare.json': `${JSON.stringify(record, null, 2)}\n`,
        'compare.md': renderMarkdown(doc),
        'compare.html': renderHtml(doc),
      });
      progress(`reports: ${join(values.out, 'compare.{json,md,html}')}`);
    }
    process.stdout.write(values.json ? `${JSON.stringify(record)}\n` : renderText(doc));
    for (const agreement of record.backends) {
      for (const gate of agreement.gates) {
        if (!gate.passed)
          process.stderr.write(`decode-harness compare: ${gateFailureLine(agreement.backend.id, gate)}\n`);
      }
    }
    return record.passed ? 0 : 1;
  } finally {
    for (const source of opened) await source.dispose();
  }
}

/**
 * The quantization split of a --dtypes comparison that ran onnx:f64 on the variants: per variant,
 * every other backend on it is compared with onnx:f64 on it, over the same positions (`run`).
 */
async function quantizationSplit(
  compared: CompareRecord,
  backends: readonly LogitsSource[],
  reference: LogitsSource,
  options: {
    dtypes: readonly OnnxDtype[];
    referenceGraphDtype: OnnxDtype | null;
    run: (variantReference: LogitsSource, others: LogitsSource[]) => Promise<CompareRecord>;
  },
): Promise<QuantizationSplit[]> {
  const split: QuantizationSplit[] = [];
  for (const dtype of options.dtypes) {
    const label = `${GRAPH_REFERENCE_BACKEND_ID} ${dtype}`;
    // onnx:f64 on the reference's own graph is the reference itself when it is the reference.
    const isReference =
      reference.info.id === GRAPH_REFERENCE_BACKEND_ID && dtype === options.referenceGraphDtype;
    const variantReference = isReference ? reference : backends.find((b) => b.info.id === label);
    if (variantReference === undefined) continue;
    const others = backends.filter((b) => b.info.id.endsWith(` ${dtype}`) && b !== variantReference);
    if (others.length === 0) continue;
    const quantizationKld = isReference
      ? 0
      : compared.backends.find((a) => a.backend.id === label)!.summary.kld.mean;
    const arithmetic = await options.run(variantReference, others);
    for (const a of arithmetic.backends) {
      split.push({
        backend: a.backend.id.slice(0, -` ${dtype}`.length),
        variant: dtype,
        quantizationKld,
        arithmeticKld: a.summary.kld.mean,
        arithmeticMaxAbsLogitDiff: a.summary.maxAbsLogitDiff,
      });
    }
  }
  return split;
}

/** --text scores a text instead of prompts; --ctx and --chunks only mean something with it. */
function checkTextOptions(values: {
  text?: string;
  prompts?: string;
  ctx?: string;
  chunks?: string;
  'max-new-tokens'?: string;
}): void {
  if (values.text === undefined) {
    const stray = (['ctx', 'chunks'] as const).find((name) => values[name] !== undefined);
    if (stray)
      throw new UsageError(`--${stray} sets how --text is scored; add --text FILE or drop --${stray}`);
    return;
  }
  const other = (['prompts', 'max-new-tokens'] as const).find((name) => values[name] !== undefined);
  if (other) {
    throw new UsageError(
      `--text scores a text along its own tokens, so --${other} has no meaning beside it; drop one of them`,
    );
  }
}

/** Every backend source opened goes into `opened` first, so a later failure still disposes it. */
async function openInto(opened: LogitsSource[], source: Promise<LogitsSource>): Promise<LogitsSource> {
  const open = await source;
  opened.push(open);
  return open;
}

/** --dtypes fp32,q8,q4: known dtypes, each once, and no --dtype/--onnx beside it. */
function parseDtypes(list: string, values: { dtype?: string; onnx?: string }): OnnxDtype[] {
  if (values.dtype !== undefined || values.onnx !== undefined) {
    throw new UsageError(
      '--dtypes lists the graphs to compare; drop --dtype/--onnx (the reference runs the fp32 graph)',
    );
  }
  const dtypes = list.split(',').filter((d) => d.length > 0);
  if (dtypes.length === 0)
    throw new UsageError(`--dtypes ${JSON.stringify(list)} names no dtype; e.g. --dtypes fp32,q8,q4`);
  for (const dtype of dtypes) {
    if (!isOnnxDtype(dtype)) {
      throw new UsageError(
        `--dtypes: ${JSON.stringify(dtype)} is not a graph dtype; pass some of ${ONNX_DTYPES.join(', ')}`,
      );
    }
  }
  const twice = dtypes.find((d, i) => dtypes.indexOf(d) !== i);
  if (twice !== undefined) throw new UsageError(`--dtypes lists ${twice} twice; give each once`);
  return dtypes as OnnxDtype[];
}

/** The --backends list without the reference (it always runs); at least one must remain. */
async function comparedIds(list: string, referenceId: string): Promise<string[]> {
  const ids = await resolveBackendIds(list);
  const compared = ids.filter((id) => id !== referenceId);
  if (compared.length === 0) {
    throw new UsageError(
      `--backends ${JSON.stringify(list)} leaves nothing to compare with the reference ${referenceId}; ` +
        `name at least one other backend, e.g. --backends ts:f32,ort-node:cpu`,
    );
  }
  return compared;
}
