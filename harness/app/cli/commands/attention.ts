import { join } from 'node:path';
import { causalMask, rowSoftmax } from '../../../../backends/ts-kernels/causal-mask-f64.ts';
import { observesAttention } from '../../../core/backend/attention-observer.ts';
import { UsageError } from '../../../core/errors.ts';
import { writeFilesAtomic } from '../../../core/io/atomic-write.ts';
import { checkOutputDir } from '../../../core/io/output-paths.ts';
import { familyNameOf, type ModelConfig, maxPositions, numLayers } from '../../../core/model/model-config.ts';
import { safetensorsDescribeGraph } from '../../../core/model/model-dir.ts';
import {
  type AttentionMaps,
  attentionRows,
  collectAttention,
} from '../../../engine/attention/attention-maps.ts';
import { loadTokenizer } from '../../../engine/model/tokenizer.ts';
import { loadModelDir } from '../../../engine/model-gen/load-model-dir.ts';
import { createBackend } from '../../registry.ts';
import {
  type AttentionContext,
  type AttentionSelection,
  attentionDocument,
} from '../../report/attention-document.ts';
import { renderHtml } from '../../report/render-html.ts';
import { renderMarkdown } from '../../report/render-markdown.ts';
import { renderText } from '../../report/render-text.ts';
import { tokenLabel } from '../../report/token-text.ts';
import { COMMON_OPTIONS, intOption, parseCommandArgs } from '../args.ts';
import { colorWanted } from '../color.ts';

const REFERENCE = 'ts:f64';
/** More (layer, head) pairs than this get the summary table only in the terminal; files hold every map. */
const TERMINAL_HEATMAPS = 16;

const HELP = `decode-harness attention --prompt TEXT [--model DIR|NAME] [--layer L] [--head H] [--shade] [--out DIR] [--json]
The attention of the prompt's tokens, computed by the float64 reference ${REFERENCE}: the causal mask
(0 / -inf) for the prompt's length and its row-wise softmax (row q: 1/(q+1) on keys 0..q), then the
model's attention probabilities after the mask and the softmax (Hugging Face's output_attentions),
per layer and head: a summary row per head (mean probability on itself, the previous token and the
first token, row entropy) and a heat map, query tokens down, key tokens across.
  --layer L   only layer L (from 0); default every layer
  --head H    only head H (from 0); default every head
              Without them every layer and head is shown when the model has at most ${TERMINAL_HEATMAPS}
              of them; beyond that the terminal gets the summary table and the files every heat map.
  --shade     a shading character after each value ( ░▒▓█); on a terminal the cells are also
              coloured, unless NO_COLOR is set
  --out DIR   also write attention.json, attention.md and attention.html (heat-map grids) into DIR
  --json      print one decode-harness/attention@1 object on stdout and nothing else there
The model needs model.safetensors: ${REFERENCE} computes the model's math from its weights.`;

export async function runAttention(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('attention', argv, {
    ...COMMON_OPTIONS,
    model: { type: 'string', default: 'tiny-gpt2' },
    prompt: { type: 'string' },
    layer: { type: 'string' },
    head: { type: 'string' },
    shade: { type: 'boolean' },
    out: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // Everything a user can get wrong is checked before the model runs.
  if (values.out !== undefined) checkOutputDir('--out', values.out);
  if (values.prompt === undefined) {
    throw new UsageError(
      '`decode-harness attention` needs --prompt TEXT (the tokens whose attention to show)',
    );
  }
  const name = values.model ?? 'tiny-gpt2';
  let model = await loadModelDir(name);
  if (model.safetensorsPath === null) {
    throw new UsageError(
      `model ${name} (${model.path}) has no model.safetensors, and the attention view computes with ${REFERENCE}, which reads the model's weights from it; pass a model dir that has it (e.g. --model tiny-gpt2), or save the model with save_pretrained(dir) to write one`,
    );
  }
  // The view reads the weights, not a graph: a directory whose default graph is a variant runs its plain one.
  if (!safetensorsDescribeGraph(model)) model = await loadModelDir(name, { dtype: 'fp32' });
  const { config } = model;
  const selection = selectionOf(values, name, numLayers(config), queryHeads(config));
  const tokenizer = await loadTokenizer(model);
  const promptIds = tokenizer.encode(values.prompt);
  if (promptIds.length === 0) {
    throw new UsageError(`--prompt ${JSON.stringify(values.prompt)} encodes to no tokens; give some text`);
  }
  const context = maxPositions(config);
  if (promptIds.length > context) {
    throw new UsageError(
      `--prompt encodes to ${promptIds.length} tokens, more than model ${name}'s context of ${context} positions; give a shorter prompt`,
    );
  }

  const source = await createBackend(REFERENCE, model);
  let maps: AttentionMaps | null;
  try {
    maps = observesAttention(source) ? await collectAttention(source, promptIds, numLayers(config)) : null;
  } finally {
    await source.dispose();
  }
  if (maps === null) {
    throw new UsageError(
      `${REFERENCE}'s ${familyNameOf(config)} forward does not report its attention probabilities, so the attention view cannot show model ${name}; use a gpt2, llama or gemma2 model`,
    );
  }
  const n = promptIds.length;
  const masks = { mask: causalMask(n), maskSoftmax: rowSoftmax(causalMask(n), n) };
  const view: AttentionContext = {
    modelName: model.name,
    family: familyNameOf(config),
    backendId: source.info.id,
    dtype: source.info.dtype,
    tokens: promptIds.map((id) => ({ id, label: tokenLabel(tokenizer, id) })),
  };
  const json = attentionJson(view, masks.maskSoftmax, maps, selection);
  if (values.out !== undefined) {
    const doc = attentionDocument(view, masks, maps, selection, Number.POSITIVE_INFINITY);
    writeFilesAtomic(values.out, {
      'attention.json': `${JSON.stringify(json, null, 2)}\n`,
      'attention.md': renderMarkdown(doc),
      'attention.html': renderHtml(doc),
    });
    process.stderr.write(`… reports: ${join(values.out, 'attention.{json,md,html}')}\n`);
  }
  const doc = attentionDocument(view, masks, maps, selection, TERMINAL_HEATMAPS);
  process.stdout.write(
    values.json
      ? `${JSON.stringify(json)}\n`
      : renderText(doc, { color: colorWanted(process.stdout), shade: values.shade === true }),
  );
  return 0;
}

/** Query heads (more than the cached key/value heads under grouped-query attention). */
function queryHeads(config: ModelConfig): number {
  return 'n_head' in config ? config.n_head : config.num_attention_heads;
}

function selectionOf(
  values: { layer?: string; head?: string },
  name: string,
  layers: number,
  heads: number,
): AttentionSelection {
  const pick = (flag: string, raw: string | undefined, count: number, what: string) => {
    const all = Array.from({ length: count }, (_, i) => i);
    if (raw === undefined) return all;
    return [intOption(flag, raw, 0, 0, count - 1, `model ${name} has ${count} ${what}, numbered from 0`)];
  };
  return {
    layers: pick('layer', values.layer, layers, 'layers'),
    heads: pick('head', values.head, heads, 'heads'),
  };
}

/**
 * The `--json` object: the prompt, the mask's softmax and each selected head's probabilities [q][k]
 * (the mask itself is 0 on and below the diagonal, -inf above, which JSON cannot write).
 */
function attentionJson(
  view: AttentionContext,
  maskSoftmax: Float64Array,
  maps: AttentionMaps,
  selection: AttentionSelection,
) {
  const n = maps.tokens;
  return {
    schema: 'decode-harness/attention@1',
    backend: view.backendId,
    dtype: view.dtype,
    model: view.modelName,
    family: view.family,
    promptIds: view.tokens.map((t) => t.id),
    tokens: view.tokens.map((t) => t.label),
    layers: maps.layers,
    heads: maps.heads,
    maskSoftmax: attentionRows(maskSoftmax, n),
    attentions: selection.layers.flatMap((layer) =>
      selection.heads.map((head) => ({ layer, head, probs: attentionRows(maps.probs[layer]![head]!, n) })),
    ),
  };
}
