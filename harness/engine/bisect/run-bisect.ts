import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { DecoderProbe, OpenProbe, ProbePass, ProbeTensor } from '../../core/backend/contract.ts';
import { type ComputeDtype, toleranceDtypeOf } from '../../core/backend/contract.ts';
import { BackendUnavailable, HarnessError, UsageError } from '../../core/errors.ts';
import { maxPositions, numLayers } from '../../core/model/model-config.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { modelIdentity } from '../model/model-identity.ts';
import type { BisectRecord } from './bisect-record.ts';
import { exposeGraph, type GraphNode, graphNodes } from './exposed-graph.ts';
import { compareNodes, NMSE_LIMITS } from './node-comparison.ts';
import { tensorError } from './tensor-error.ts';

/** One side of a bisection: a backend that can open an exposed graph, and the graph it runs. */
export interface BisectSideSpec {
  readonly backendId: string;
  readonly open: OpenProbe;
  readonly model: ModelDir;
}

export interface BisectInput {
  readonly tested: BisectSideSpec;
  /** The side whose values the errors are measured against; its greedy path feeds both. */
  readonly reference: BisectSideSpec;
  readonly prompt: { readonly text: string; readonly ids: readonly number[] };
  /** 0: the prefill; N: the N-th cached step. */
  readonly step: number;
  /**
   * Whose KV cache the bisected step reads: `reference` (both sides read the reference's, so the
   * error is made in this pass) or `own` (each side carries its own from the prefill on, so the
   * error includes what earlier passes left in the cache).
   */
  readonly cache?: 'reference' | 'own';
  /** Only nodes whose name, op type or an output matches are exposed; null: every node. */
  readonly nodes: RegExp | null;
  /** A limit given on the command line, else NMSE_LIMITS for the less precise side. */
  readonly nmseLimit?: number;
  /** Most bytes the exposed tensors of both sides may take. */
  readonly memoryBudgetBytes: number;
  readonly onProgress?: (line: string) => void;
}

/** The ONNX decoding the reference does between passes: greedy, ties to the lower id. */
function greedyNext(logits: ProbeTensor): number {
  const vocab = logits.dims[logits.dims.length - 1]!;
  const start = logits.data.length - vocab;
  let best = 0;
  for (let v = 1; v < vocab; v++) if (logits.data[start + v]! > logits.data[start + best]!) best = v;
  return best;
}

function presents(values: ReadonlyMap<string, ProbeTensor>, model: ModelDir): Map<string, ProbeTensor> {
  const past = new Map<string, ProbeTensor>();
  for (let i = 0; i < numLayers(model.config); i++) {
    for (const kv of ['key', 'value']) {
      const t = values.get(`present.${i}.${kv}`);
      if (t === undefined) throw new Error(`the probe returned no present.${i}.${kv}`);
      past.set(`past_key_values.${i}.${kv}`, t);
    }
  }
  return past;
}

const matches = (pattern: RegExp | null) => (node: GraphNode) =>
  pattern === null || [node.name, node.opType, ...node.outputs].some((s) => pattern.test(s));

const LESS_PRECISE: readonly ComputeDtype[] = ['float16', 'float32', 'float64'];

/** Checks that need no backend: a step the context holds, a --nodes pattern that matches a node. */
export function checkBisectInput(
  input: Pick<BisectInput, 'reference' | 'prompt' | 'step' | 'nodes' | 'cache'>,
): void {
  const context = maxPositions(input.reference.model.config);
  if (input.prompt.ids.length > context) {
    throw new UsageError(
      `--prompt encodes to ${input.prompt.ids.length} tokens, over the model's context of ${context}; shorten --prompt`,
    );
  }
  if (input.cache === 'own' && input.step === 0) {
    throw new UsageError(
      '--cache own chooses whose KV cache a cached step reads; the prefill reads none: add --step N (N ≥ 1) or drop --cache',
    );
  }
  const lastStep = context - input.prompt.ids.length;
  if (input.step > lastStep) {
    throw new UsageError(
      `--step ${input.step}: the prompt has ${input.prompt.ids.length} tokens and the model's context is ${context}, so the last cached step is ${lastStep}; pass --step 0…${lastStep}`,
    );
  }
  if (input.nodes !== null) {
    const nodes = graphNodes(input.reference.model);
    if (!nodes.some(matches(input.nodes))) {
      const examples = nodes.slice(0, 3).map((n) => `${n.name} (${n.opType})`);
      throw new UsageError(
        `--nodes ${JSON.stringify(input.nodes.source)} matches no node name, op type or output of ${input.reference.model.graph.file}; its nodes are named like ${examples.join(', ')}`,
      );
    }
  }
}

/**
 * Run one pass on both sides with every chosen intermediate exposed and compare them node by node.
 * Both sides read the same inputs: the prompt, then the reference's greedy tokens and its KV cache,
 * so an error at step N is made in that pass, not carried from earlier ones.
 */
export async function runBisect(input: BisectInput): Promise<BisectRecord> {
  checkBisectInput(input);
  const progress = input.onProgress ?? (() => {});
  const sameGraph = input.tested.model.onnxPath === input.reference.model.onnxPath;
  const dir = mkdtempSync(join(os.tmpdir(), 'decode-harness-bisect-'));
  const opened: DecoderProbe[] = [];
  try {
    const chosen = matches(input.nodes);
    const referenceGraph = exposeGraph(input.reference.model, chosen, dir);
    const testedGraph = sameGraph
      ? referenceGraph
      : exposeGraph(input.tested.model, chosen, mkdtempSync(join(dir, 'tested-')));
    progress(`exposed ${referenceGraph.exposed.size} tensors of ${input.reference.model.graph.file}`);
    const open = async (side: BisectSideSpec, path: string) => {
      try {
        const probe = await side.open(side.model, path);
        opened.push(probe);
        return probe;
      } catch (error) {
        // Name the model's graph, not the exposed copy (a temp file gone when bisect ends).
        throw namingGraph(error, path, side.model.onnxPath);
      }
    };
    // The graphs as shipped run every pass before the bisected one, so the cache a side carries is
    // the one decoding leaves (an exposed tensor keeps onnxruntime from fusing across it), and the
    // bisected pass once more, to show how far exposing moved its logits. The reference's exposed
    // pass comes before the tested side opens, so an over-budget graph is refused early.
    const plainGraph = (side: BisectSideSpec, name: string) =>
      exposeGraph(side.model, () => false, mkdtempSync(join(dir, `${name}-plain-`))).path;
    const ownCache = input.cache === 'own' && input.step > 0;
    const plainReference = await open(input.reference, plainGraph(input.reference, 'reference'));
    const plainTested = ownCache ? await open(input.tested, plainGraph(input.tested, 'tested')) : null;
    let pass: ProbePass = { tokens: input.prompt.ids, past: null };
    let testedPass = pass;
    const stepTokens: number[] = [];
    for (let s = 1; s <= input.step; s++) {
      const before = await plainReference.run(pass);
      const testedBefore = plainTested ? await plainTested.run(testedPass) : null;
      const next = greedyNext(before.get('logits')!);
      stepTokens.push(next);
      pass = { tokens: [next], past: presents(before, input.reference.model) };
      testedPass = testedBefore ? { tokens: [next], past: presents(testedBefore, input.tested.model) } : pass;
    }
    const reference = await open(input.reference, referenceGraph.path);
    const referenceValues = await reference.run(pass);
    const bytes = [...referenceValues.values()].reduce((sum, t) => sum + t.data.byteLength, 0) * 2;
    if (bytes > input.memoryBudgetBytes) {
      throw new UsageError(
        `exposing ${referenceValues.size} tensors takes ${mb(bytes)} MB on the two sides, over the ${mb(input.memoryBudgetBytes)} MB budget; expose a subset with --nodes PATTERN (e.g. --nodes 'MatMul|LayerNorm') or raise --max-memory-mb`,
      );
    }
    progress(`${reference.info.id}: ${input.step === 0 ? 'prefill' : `step ${input.step}`} run`);
    const tested = await open(input.tested, testedGraph.path);
    const testedValues = await tested.run(testedPass);
    progress(`${tested.info.id}: ${input.step === 0 ? 'prefill' : `step ${input.step}`} run`);
    const shippedTestedProbe = plainTested ?? (await open(input.tested, plainGraph(input.tested, 'tested')));
    const shippedReference = await plainReference.run(pass);
    const shippedTested = await shippedTestedProbe.run(testedPass);
    const logitsError = (a: ReadonlyMap<string, ProbeTensor>, b: ReadonlyMap<string, ProbeTensor>) => {
      const e = tensorError('logits', a.get('logits')!, b.get('logits')!);
      return { nmse: e.nmse, maxAbsDiff: e.maxAbsDiff };
    };
    const exposure = {
      plainLogits: logitsError(shippedTested, shippedReference),
      exposedLogits: logitsError(testedValues, referenceValues),
      testedShift: logitsError(testedValues, shippedTested).maxAbsDiff,
      referenceShift: logitsError(referenceValues, shippedReference).maxAbsDiff,
    };

    const dtype = [toleranceDtypeOf(tested.info), toleranceDtypeOf(reference.info)].reduce((a, b) =>
      LESS_PRECISE.indexOf(a) <= LESS_PRECISE.indexOf(b) ? a : b,
    );
    const nmseLimit = input.nmseLimit ?? NMSE_LIMITS[dtype];
    // With its own cache the tested side's past differs: its error is an input error of the pass.
    const inputErrors = new Map(
      ownCache
        ? [...testedPass.past!].map(
            ([name, t]) => [name, tensorError(name, t, pass.past!.get(name)!)] as const,
          )
        : [],
    );
    const graphInputs = new Set([
      'input_ids',
      'attention_mask',
      'position_ids',
      'num_logits_to_keep',
      'use_cache_branch',
      ...presents(referenceValues, input.reference.model).keys(),
    ]);
    const { rows, parting, unmatched } = compareNodes({
      referenceNodes: referenceGraph.nodes,
      testedNodes: testedGraph.nodes,
      testedValues,
      referenceValues,
      testedExposed: testedGraph.exposed,
      referenceExposed: referenceGraph.exposed,
      graphInputs,
      inputErrors,
      testedInitializers: testedGraph.initializers,
      referenceInitializers: referenceGraph.initializers,
      dtype,
      nmseLimit,
    });
    const overflowRow = rows.find((r) => r.overflow !== null);
    const [testedIdentity, referenceIdentity] = await Promise.all([
      modelIdentity(input.tested.model),
      modelIdentity(input.reference.model),
    ]);
    return {
      schema: 'decode-harness/bisect@1',
      model: { name: input.reference.model.name, path: input.reference.model.path },
      mode: sameGraph ? 'backends' : 'graphs',
      tested: { backend: tested.info, graph: testedIdentity.graph },
      reference: { backend: reference.info, graph: referenceIdentity.graph },
      prompt: input.prompt,
      step: input.step,
      cache: ownCache ? 'own' : 'reference',
      pastError: ownCache ? Math.max(...[...inputErrors.values()].map((e) => e.nmse)) : 0,
      stepTokens,
      passTokens: pass.tokens,
      nodesPattern: input.nodes?.source ?? null,
      toleranceDtype: dtype,
      nmseLimit,
      nmseLimitSource: input.nmseLimit === undefined ? `default for ${dtype}` : '--max-nmse',
      rows,
      parting,
      firstOverflow: overflowRow
        ? { order: overflowRow.order, node: overflowRow.node, overflow: overflowRow.overflow! }
        : null,
      unmatched,
      exposedBytes: bytes,
      exposure,
    };
  } finally {
    try {
      // Every probe is released even when one fails to close (a browser that hung).
      await Promise.allSettled(opened.map((probe) => probe.dispose()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** `error` with the exposed copy's path replaced by the model graph's, keeping its class and exit code. */
function namingGraph(error: unknown, copyPath: string, graphPath: string): unknown {
  if (error instanceof BackendUnavailable) {
    return new BackendUnavailable(
      error.backendId,
      error.reason.replaceAll(copyPath, graphPath),
      error.fix.replaceAll(copyPath, graphPath),
    );
  }
  if (error instanceof HarnessError) {
    const Kind = error.constructor as new (message: string, exitCode: 1 | 2) => HarnessError;
    return new Kind(error.message.replaceAll(copyPath, graphPath), error.exitCode);
  }
  return error;
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
