import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** uPlot's script and stylesheet from node_modules, for inlining: a report page needs no network. */
export interface UplotAssets {
  readonly js: string;
  readonly css: string;
}

export function uplotAssets(): UplotAssets {
  const require = createRequire(import.meta.url);
  const read = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  return { js: read('uPlot.iife.min.js'), css: read('uPlot.min.css') };
}
