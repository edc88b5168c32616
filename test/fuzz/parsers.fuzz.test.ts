import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../harness/app/cli/args.ts';
import { DECODE_OPTIONS, generationConfigFrom } from '../../harness/app/cli/decode-options.ts';
import { HarnessError } from '../../harness/core/errors.ts';
import { numLayers, parseModelConfig } from '../../harness/core/model/model-config.ts';
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsSpecs,
} from '../../harness/core/model/safetensors.ts';
import { parseDecimal } from '../../harness/core/parse-decimal.ts';
import { readPromptFile } from '../../harness/engine/compare/prompt-set.ts';
import { MAX_BATCH_ROWS } from '../../harness/engine/decode/generation-config.ts';
import { fileLabel, resolveGenerationConfig } from '../../harness/engine/decode/resolve-generation-config.ts';
import { loadCaseList } from '../../harness/engine/golden/case-list.ts';
import { DEFAULT_CASE_LIST, defaultGoldenDir } from '../../harness/engine/golden/golden-dir.ts';
import { parseGolden } from '../../harness/engine/golden/parse-golden.ts';
import { readChatMessages } from '../../harness/engine/model/chat-messages.ts';
import { embeddedModelDir } from '../../harness/engine/model-gen/embedded-models.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

/**
 * Random and mutated inputs against every parser a user's file or flag reaches. The invariant, for
 * each input: a correct result, or a refusal that is a HarnessError with exit 2 and a one-line
 * message, within PER_INPUT_MS, and nothing written. Seeded, so a failure replays; fast-check
 * prints the seed and the shrunk input.
 */
const PER_INPUT_MS = 2000;
/** Fixed, so a failure replays; DECODE_HARNESS_FUZZ_SEED=N explores elsewhere. */
const SEED = Number(process.env.DECODE_HARNESS_FUZZ_SEED ?? 20261202);
/** Inputs per property in `npm test`; DECODE_HARNESS_FUZZ_RUNS=N hunts longer (the time limit holds per input). */
const RUNS = Number(process.env.DECODE_HARNESS_FUZZ_RUNS ?? 300);

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Run one input through `call`: a result, or a clean refusal; anything else fails the property. */
function outcome<T>(call: () => T): Outcome<T> {
  const t0 = performance.now();
  try {
    return { ok: true, value: call() };
  } catch (error) {
    if (!(error instanceof HarnessError)) throw error; // a crash: TypeError, RangeError, …
    expect(error.exitCode).toBe(2);
    expect(error.message).not.toMatch(/\n/);
    expect(error.message.length).toBeGreaterThan(0);
    return { ok: false, message: error.message };
  } finally {
    expect(performance.now() - t0).toBeLessThan(PER_INPUT_MS);
  }
}

/** Mutations of a JSON document: replace, delete or add at a random path. */
function mutatedJson(base: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) walk(child, [...path, i]);
    } else if (typeof node === 'object' && node !== null) {
      for (const [k, child] of Object.entries(node)) walk(child, [...path, k]);
    }
  };
  walk(base, []);
  const edit = fc.record({
    path: fc.constantFrom(...paths),
    action: fc.constantFrom('replace', 'delete', 'add'),
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(-1, 0, 1, 1e9, 1e308, -0.5, 2 ** 53, 'no', 'true', '', null, [], {}),
    ),
    key: fc.string({ maxLength: 12 }),
  });
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    const doc = structuredClone(base) as Record<string | number, unknown>;
    for (const { path, action, value, key } of edits) {
      if (path.length === 0) continue;
      let parent: Record<string | number, unknown> | undefined = doc;
      for (const step of path.slice(0, -1)) parent = parent?.[step] as typeof parent;
      if (typeof parent !== 'object' || parent === null) continue;
      const last = path.at(-1)!;
      // A copy each time: a shared [] or {} placed twice could otherwise end up inside itself.
      if (action === 'replace') parent[last] = structuredClone(value);
      else if (action === 'delete') delete parent[last];
      else parent[key] = structuredClone(value);
    }
    return doc;
  });
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const options = { seed: SEED, numRuns: RUNS };

describe('fuzz: the safetensors header parser', () => {
  const valid = encodeSafetensors([
    { name: 'a', dtype: 'F32', shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, i) => i) },
    { name: 'transformer.b', dtype: 'F16', shape: [4], data: Uint16Array.of(0x3c00, 0, 0xbc00, 1) },
  ]);
  const headerBytes = Number(new DataView(valid.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(valid.subarray(8, 8 + headerBytes)));
  const data = valid.subarray(8 + headerBytes);

  /** A file image: byte flips and truncation of the valid one, or its header mutated as JSON. */
  const image = fc.oneof(
    fc
      .record({
        flips: fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { maxLength: 6 }),
        keep: fc.nat(valid.length),
      })
      .map(({ flips, keep }) => {
        const bytes = valid.slice();
        for (const [at, byte] of flips) bytes[at] = byte;
        return bytes.subarray(0, keep);
      }),
    mutatedJson(header).map((h) => {
      const text = new TextEncoder().encode(JSON.stringify(h));
      const bytes = new Uint8Array(8 + text.length + data.length);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
      bytes.set(text, 8);
      bytes.set(data, 8 + text.length);
      return bytes;
    }),
  );

  it('accepts or refuses cleanly; the whole-file and header-only readers agree; accepted tensors hold shape × dtype', () => {
    const file = join(scratch, 'x.safetensors');
    fc.assert(
      fc.property(image, (bytes) => {
        const whole = outcome(() => decodeSafetensors(bytes, file));
        writeFileSync(file, bytes);
        const specs = outcome(() => readSafetensorsSpecs(file));
        expect(specs.ok).toBe(whole.ok);
        if (!whole.ok || !specs.ok) return;
        for (const [name, tensor] of whole.value) {
          expect(tensor.data.length).toBe(tensor.shape.reduce((a, d) => a * d, 1));
          expect(specs.value.get(name)?.shape).toEqual(tensor.shape);
        }
      }),
      options,
    );
  });
});

describe('fuzz: config.json parsers', () => {
  it.each(['tiny-gpt2', 'tiny-llama'])(
    'mutations of %s config.json: a consistent config or a clean refusal',
    (name) => {
      const base = readJson(join(embeddedModelDir(name), 'config.json'));
      fc.assert(
        fc.property(mutatedJson(base), (raw) => {
          const result = outcome(() => parseModelConfig(raw, 'config.json'));
          if (!result.ok) {
            expect(result.message).toMatch(/config\.json/);
            return;
          }
          const config = result.value;
          expect(Number.isSafeInteger(numLayers(config)) && numLayers(config) > 0).toBe(true);
          expect(Number.isSafeInteger(config.vocab_size) && config.vocab_size > 0).toBe(true);
          expect(typeof config.tie_word_embeddings).toBe('boolean');
        }),
        options,
      );
    },
  );
});

describe('fuzz: goldens and case lists', () => {
  it('mutations of a committed golden: accepted only when still self-consistent, else refused naming the file', () => {
    const base = readJson(join(defaultGoldenDir('tiny-gpt2'), 'beam2--fox.json'));
    fc.assert(
      fc.property(mutatedJson(base), (raw) => {
        const result = outcome(() => parseGolden(raw, 'g.json'));
        if (result.ok) expect(result.value.tolerances).toEqual((base as { tolerances: unknown }).tolerances);
        else expect(result.message).toMatch(/^g\.json: /);
      }),
      { ...options, numRuns: Math.ceil((RUNS * 2) / 3) },
    );
  });

  it('mutations of the committed case list: every case resolves to a valid config, or a clean refusal', () => {
    const base = readJson(DEFAULT_CASE_LIST);
    const file = join(scratch, 'cases.json');
    fc.assert(
      fc.property(mutatedJson(base), (raw) => {
        writeFileSync(file, JSON.stringify(raw));
        const result = outcome(() =>
          loadCaseList(file).map((c) =>
            resolveGenerationConfig([{ values: c.generation, label: fileLabel(c.label) }], 50257),
          ),
        );
        if (!result.ok) return;
        for (const config of result.value) {
          expect(config.num_beams).toBeGreaterThanOrEqual(1);
          expect(config.num_beams).toBeLessThanOrEqual(MAX_BATCH_ROWS);
          expect(config.num_return_sequences).toBeLessThanOrEqual(MAX_BATCH_ROWS);
        }
      }),
      { ...options, numRuns: Math.ceil((RUNS * 2) / 3) },
    );
  });
});

describe('fuzz: prompt files', () => {
  it('any text as a .txt or .json prompt file: non-empty prompts or a clean refusal, nothing written', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc
        .array(fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })), { maxLength: 5 })
        .map((a) => JSON.stringify(a)),
    );
    fc.assert(
      fc.property(text, fc.constantFrom('p.txt', 'p.json'), (content, name) => {
        const path = join(scratch, name);
        writeFileSync(path, content);
        const before = readdirSync(scratch).sort();
        const result = outcome(() => readPromptFile(path));
        expect(readdirSync(scratch).sort()).toEqual(before);
        if (!result.ok) return;
        expect(result.value.length).toBeGreaterThan(0);
        for (const prompt of result.value) {
          expect(typeof prompt).toBe('string');
          expect(prompt.length).toBeGreaterThan(0);
          if (name === 'p.txt') expect(prompt).not.toMatch(/\n/);
        }
      }),
      options,
    );
  });
});

describe('fuzz: --chat files', () => {
  it('any text as a --chat file: a list of {role, content} messages or a clean refusal, nothing written', () => {
    const message = fc.oneof(
      fc.record({ role: fc.constantFrom('user', 'assistant', 'system', ''), content: fc.string() }),
      fc.dictionary(fc.constantFrom('role', 'content', 'name'), fc.jsonValue({ maxDepth: 1 })),
      fc.jsonValue({ maxDepth: 1 }),
    );
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.array(message, { maxLength: 4 }).map((a) => JSON.stringify(a)),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    );
    const path = join(scratch, 'chat.json');
    fc.assert(
      fc.property(text, (content) => {
        writeFileSync(path, content);
        const before = readdirSync(scratch).sort();
        const result = outcome(() => readChatMessages(path));
        expect(readdirSync(scratch).sort()).toEqual(before);
        if (!result.ok) return;
        expect(result.value.length).toBeGreaterThan(0);
        for (const m of result.value) {
          expect(typeof m.role === 'string' && m.role.length > 0).toBe(true);
          expect(typeof m.content).toBe('string');
        }
      }),
      options,
    );
  });
});

describe('fuzz: the CLI number and flag parser', () => {
  const rule = { min: -1000, max: 1000 };

  it('every finite number in range, printed as JavaScript prints it, parses back to itself', () => {
    fc.assert(
      fc.property(fc.double({ min: -1000, max: 1000, noNaN: true }), (x) => {
        expect(Object.is(parseDecimal('--x', String(x), rule), x === 0 ? 0 : x) || x === 0).toBe(true);
      }),
      options,
    );
  });

  it('any text: accepted only as decimal digits with sign, point and exponent, in range; else refused naming flag and value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^[-+.\deEx_ ]{1,8}$/)), (raw) => {
        const result = outcome(() => parseDecimal('--x', raw, rule));
        if (result.ok) {
          expect(raw).toMatch(/^[-+.\deE]+$/);
          expect(result.value).toBe(Number(raw));
          expect(Math.abs(result.value)).toBeLessThanOrEqual(1000);
        } else {
          expect(result.message.startsWith(`--x ${JSON.stringify(raw)} must be `)).toBe(true);
        }
      }),
      options,
    );
  });

  it('random command lines of decode flags: a config every decoder can trust, or a clean refusal', async () => {
    const model = await loadModelDir('tiny-gpt2');
    const flags = [...Object.keys(DECODE_OPTIONS), 'sed', 'temprature', 'num-beam'];
    const value = fc.oneof(
      fc.constantFrom(
        '0',
        '1',
        '-1',
        '2',
        '64',
        '65',
        '0.5',
        '1e9',
        '-0.1',
        'Infinity',
        '0x2a',
        'true',
        'never',
        'alea',
        '',
      ),
      fc.string({ maxLength: 6 }),
    );
    const argv = fc
      .array(fc.tuple(fc.constantFrom(...flags), value, fc.boolean()), { maxLength: 6 })
      .map((items) => items.flatMap(([flag, v, bare]) => (bare ? [`--${flag}`] : [`--${flag}`, v])));
    fc.assert(
      fc.property(argv, (args) => {
        const result = outcome(() =>
          generationConfigFrom(parseCommandArgs('generate', args, DECODE_OPTIONS).values, model),
        );
        if (!result.ok) return;
        const c = result.value;
        expect(c.num_beams >= 1 && c.num_beams <= MAX_BATCH_ROWS).toBe(true);
        expect(c.num_return_sequences >= 1 && c.num_return_sequences <= MAX_BATCH_ROWS).toBe(true);
        expect(c.top_p > 0 && c.top_p <= 1).toBe(true);
        expect(Number.isFinite(c.temperature) && c.temperature >= 0).toBe(true);
        expect(c.min_new_tokens).toBeLessThanOrEqual(c.max_new_tokens);
        if (c.do_sample) expect(Number.isSafeInteger(c.seed)).toBe(true);
      }),
      options,
    );
  });
});
