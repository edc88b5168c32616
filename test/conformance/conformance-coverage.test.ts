import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  EMBEDDED_MODEL_NAMES,
  embeddedModelRepository,
} from '../../harness/engine/model-gen/embedded-models.ts';

describe('conformance suites', () => {
  it("every embedded model in the project's own layout has its conformance-<model>.test.ts", () => {
    const own = EMBEDDED_MODEL_NAMES.filter((name) => embeddedModelRepository(name) === null);
    for (const name of EMBEDDED_MODEL_NAMES.filter((n) => !own.includes(n))) {
      console.warn(
        `no conformance suite for ${name}: an ONNX-only ${embeddedModelRepository(name)} layout of another ` +
          "embedded model's weights, held to that model's logits on every backend by test/layouts",
      );
    }
    const files = readdirSync(import.meta.dirname).filter((f) => /^conformance-.*\.test\.ts$/.test(f));
    const covered = files
      .map((f) => f.replace(/^conformance-|\.test\.ts$/g, ''))
      .filter((n) => n !== 'coverage');
    expect(covered.sort()).toEqual([...own].sort());
  });
});
