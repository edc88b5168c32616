import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_MODEL_NAMES } from '../../harness/engine/model-gen/embedded-models.ts';

describe('conformance suites', () => {
  it('every embedded model has its conformance-<model>.test.ts', () => {
    const files = readdirSync(import.meta.dirname).filter((f) => /^conformance-.*\.test\.ts$/.test(f));
    const covered = files
      .map((f) => f.replace(/^conformance-|\.test\.ts$/g, ''))
      .filter((n) => n !== 'coverage');
    expect(covered.sort()).toEqual([...EMBEDDED_MODEL_NAMES].sort());
  });
});
