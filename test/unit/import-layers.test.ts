import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../harness/core/project-root.ts';

/**
 * The import graph is the data-flow picture: every relative import of every module under harness/
 * and backends/ must point along or down the layers, and no modules may import each other in a
 * circle. README's "Layout" section states the same rules.
 */
type Layer = 'core' | 'backends' | 'engine' | 'app' | 'entry';

/** What each layer may import (besides itself, with the backend-folder rule below). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  core: [],
  backends: ['core'],
  engine: ['core'],
  app: ['core', 'engine', 'backends'],
  entry: ['app'],
};

/** The folder code shared by the ONNX backends; any backend folder may use it. */
const SHARED_BACKEND_FOLDER = 'backends/onnx-shared';

function layerOf(file: string): Layer {
  if (file === 'harness/bin.mjs') return 'entry';
  for (const layer of ['core', 'engine', 'app'] as const)
    if (file.startsWith(`harness/${layer}/`)) return layer;
  if (file.startsWith('backends/')) return 'backends';
  throw new Error(
    `${file} lies outside every layer: put it under harness/core, harness/engine, harness/app or backends/`,
  );
}

/** backends/ort-node/x.ts → backends/ort-node: a backend family may import its own folder only. */
function backendFolder(file: string): string {
  return file.split('/').slice(0, 2).join('/');
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mjs|js)$/.test(entry.name)) out.push(path);
  }
  return out;
}

const IMPORT_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Relative imports of one file, resolved to paths from the project root. */
function relativeImports(file: string, source: string): string[] {
  const out: string[] = [];
  for (const match of source.matchAll(IMPORT_SPECIFIER)) {
    out.push(relative(PROJECT_ROOT, normalize(join(PROJECT_ROOT, dirname(file), match[1] as string))));
  }
  return out;
}

function violation(from: string, to: string): string | null {
  if (!/^(harness|backends)\//.test(to)) return `${from} imports ${to}, outside harness/ and backends/`;
  const a = layerOf(from);
  const b = layerOf(to);
  if (a === 'backends' && b === 'backends') {
    const own = backendFolder(from);
    const target = backendFolder(to);
    if (target === own || target === SHARED_BACKEND_FOLDER) return null;
    return `${from} imports ${to}: a backend imports the core, its own folder and ${SHARED_BACKEND_FOLDER} only`;
  }
  if (a === b || MAY_IMPORT[a].includes(b)) return null;
  return `${from} (${a}) imports ${to} (${b}): ${a} may import ${[a, ...MAY_IMPORT[a]].join(', ')} only`;
}

/** Every cycle's members (strongly connected components of more than one file, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import layers', () => {
  const files = [...sourceFiles('harness'), ...sourceFiles('backends')];
  const graph = new Map(
    files.map((f) => [f, relativeImports(f, readFileSync(join(PROJECT_ROOT, f), 'utf8'))] as const),
  );

  it('finds the modules and their imports (the walk itself works)', () => {
    expect(files.length).toBeGreaterThan(150);
    expect(graph.get('harness/bin.mjs')).toEqual(['harness/app/cli/main.ts']);
  });

  it('every import points along or down a layer', () => {
    const bad: string[] = [];
    for (const [from, targets] of graph)
      for (const to of targets) {
        const why = violation(from, to);
        if (why) bad.push(why);
      }
    expect(bad).toEqual([]);
  });

  it('no modules import each other in a circle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('the rules reject an upward import, a cross-backend import and a cycle', () => {
    expect(violation('harness/core/errors.ts', 'harness/engine/decode/decode.ts')).toMatch(
      /core may import core only/,
    );
    expect(violation('harness/engine/decode/decode.ts', 'harness/app/registry.ts')).toMatch(
      /engine may import/,
    );
    expect(violation('harness/engine/golden/run-check.ts', 'backends/ts-kernels/factories.ts')).toMatch(
      /engine/,
    );
    expect(violation('backends/ort-web/factories.ts', 'backends/ort-node/decoder-io.ts')).toMatch(
      /own folder/,
    );
    expect(violation('backends/ort-web/factories.ts', 'backends/onnx-shared/decoder-io.ts')).toBeNull();
    expect(violation('harness/app/registry.ts', 'backends/ts-kernels/factories.ts')).toBeNull();
    expect(violation('harness/core/errors.ts', 'test/helpers/x.ts')).toMatch(/outside/);
    const circle = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(circle)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
