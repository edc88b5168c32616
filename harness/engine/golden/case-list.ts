import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { UsageError } from '../../core/errors.ts';
import { assertRegularFile } from '../../core/regular-file.ts';

/** The committed list of what to record: shared by every model, so goldens differ only by model. */
export const CASE_LIST_SCHEMA = 'decode-harness/golden-cases@1';

const name = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9][a-z0-9.]*(-[a-z0-9.]+)*$/, 'Invalid name: use a-z, 0-9, "." and single "-"'),
);

const caseListSchema = v.strictObject({
  schema: v.literal(CASE_LIST_SCHEMA),
  description: v.optional(v.string()),
  /** Prompt name → prompt text. */
  prompts: v.record(name, v.pipe(v.string(), v.minLength(1))),
  cases: v.pipe(
    v.array(
      v.strictObject({
        id: name,
        /** What the case exercises, for a reader of the list. */
        note: v.optional(v.string()),
        /** Prompt names; the case is recorded once per prompt as `<id>--<prompt>`. */
        prompts: v.pipe(v.array(name), v.minLength(1)),
        /** Generation settings with Hugging Face's names, over the model's generation_config.json. */
        generation: v.record(v.string(), v.unknown()),
      }),
    ),
    v.minLength(1),
  ),
});

/** One golden to record: a case definition applied to one prompt. */
export interface GoldenCaseDef {
  /** `<case id>--<prompt name>`: the golden's id and file name. */
  readonly id: string;
  readonly prompt: string;
  readonly generation: Readonly<Record<string, unknown>>;
  /** How to name a generation field in errors: `cases.json: cases[3] beam4-lp2: num_beams`. */
  readonly label: string;
}

/** Read, validate and expand a case list; errors name the file and the bad field. */
export function loadCaseList(file: string): GoldenCaseDef[] {
  let raw: unknown;
  assertRegularFile(file, '--cases', 'give a JSON case list file');
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `--cases ${file}: ${error instanceof Error ? error.message : String(error)}; give a readable JSON case list`,
    );
  }
  const tag = typeof raw === 'object' && raw !== null ? (raw as { schema?: unknown }).schema : undefined;
  if (tag !== CASE_LIST_SCHEMA) {
    throw new UsageError(
      `${file}: schema ${JSON.stringify(tag) ?? 'missing'} is not ${JSON.stringify(CASE_LIST_SCHEMA)}`,
    );
  }
  const parsed = v.safeParse(caseListSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new UsageError(`${file}: ${v.getDotPath(issue) ?? '(top level)'}: ${issue.message}`);
  }
  const { prompts, cases } = parsed.output;
  const defs: GoldenCaseDef[] = [];
  const seen = new Set<string>();
  for (const [i, c] of cases.entries()) {
    for (const promptName of c.prompts) {
      const prompt = prompts[promptName];
      if (prompt === undefined) {
        throw new UsageError(
          `${file}: cases.${i}.prompts: ${JSON.stringify(promptName)} is not in prompts (${Object.keys(prompts).join(', ')})`,
        );
      }
      const id = `${c.id}--${promptName}`;
      if (seen.has(id))
        throw new UsageError(`${file}: cases.${i}: ${id} is listed twice; give each case its own id`);
      seen.add(id);
      defs.push({ id, prompt, generation: c.generation, label: `${file}: cases.${i} ${c.id}` });
    }
  }
  return defs;
}
