import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Test files whose cases drive whole backends (every backend through every golden, conformance on
 * every model, browsers, the CLI end to end) take minutes; unit files take seconds. Where a
 * previous run's durations are cached the longest run first; otherwise these folders first, larger
 * files first within a folder. Slow files start early, and the fast ones fill the other worker
 * around them instead of waiting behind a slow one at the end.
 */
const SLOW_FIRST = ['test/conformance/', 'test/golden/', 'test/e2e/', 'test/unit/'];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { root } = this.ctx.config;
    const durationMs = (spec: TestSpecification) =>
      this.ctx.cache.getFileTestResults(`${spec.project.name}:${relative(root, spec.moduleId)}`)?.duration;
    const tier = (spec: TestSpecification) => {
      const index = SLOW_FIRST.findIndex((folder) => relative(root, spec.moduleId).startsWith(folder));
      return index === -1 ? SLOW_FIRST.length : index;
    };
    return [...files].sort((a, b) => {
      const [da, db] = [durationMs(a), durationMs(b)];
      if (da !== undefined && db !== undefined) return db - da;
      return tier(a) - tier(b) || statSync(b.moduleId).size - statSync(a.moduleId).size;
    });
  }
}
