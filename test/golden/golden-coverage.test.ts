import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultGoldenDir } from '../../harness/engine/golden/golden-dir.ts';
import { EMBEDDED_MODEL_NAMES } from '../../harness/engine/model-gen/embedded-models.ts';

describe('golden suites', () => {
  it('every embedded model with committed goldens has its golden-<model>.test.ts', () => {
    const withGoldens = EMBEDDED_MODEL_NAMES.filter((name) => existsSync(defaultGoldenDir(name)));
    for (const name of EMBEDDED_MODEL_NAMES.filter((n) => !withGoldens.includes(n))) {
      console.warn(`no goldens for ${name}: record them with \`decode-harness record --model ${name}\``);
    }
    const files = readdirSync(import.meta.dirname).filter((f) => /^golden-.*\.test\.ts$/.test(f));
    const covered = files.map((f) => f.replace(/^golden-|\.test\.ts$/g, '')).filter((n) => n !== 'coverage');
    expect(covered.sort()).toEqual([...withGoldens].sort());
  });
});
