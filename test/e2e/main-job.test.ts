import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailability } from '../../backends/ort-web/chromium/availability.ts';
import { CHROMIUM_PATH, ChromiumBrowser } from '../../backends/ort-web/chromium/chromium-browser.ts';
import type { MainJobRecord } from '../../harness/app/main-job/main-job-record.ts';
import { mainJobCounts } from '../../harness/app/main-job/main-job-record.ts';
import { mainJobDocument } from '../../harness/app/report/main-job-document.ts';
import { renderMarkdown } from '../../harness/app/report/render-markdown.ts';
import { renderText, TERMINAL_COLUMNS } from '../../harness/app/report/render-text.ts';
import { runCli } from '../helpers/run-cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-main-job-'));
/** Where the page screenshots land, for a person to look at (reports/ is not committed). */
const SCREENSHOTS = fileURLToPath(new URL('../../reports/screenshots/', import.meta.url));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('main job: bad --backends / --require are refused before any work', () => {
  const refused = (args: string[], message: RegExp) => {
    const run = runCli(args);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  };
  it('an unknown id, naming it and the valid ids', () =>
    refused(
      ['--backends', 'ts:f32,ort-node:gpu'],
      /unknown backend id "ort-node:gpu"; valid ids: ts:f64, ts:f32,/,
    ));
  it('a duplicate and an empty list', () => {
    refused(['--backends', 'ts:f32,ts:f32'], /lists ts:f32 twice/);
    refused(['--backends', ''], /names no backend/);
  });
  it('a required backend not among --backends', () =>
    refused(
      ['--backends', 'ts:f32', '--require', 'ts:f64'],
      /--require ts:f64: ts:f64 is not among --backends/,
    ));
});

/**
 * One real run: ts:f32 (every golden), and ort-node:cuda required. With no CUDA provider here the
 * job must exit 1 and name the backend, the reason and the fix, while ts:f32's results still land.
 */
describe('main job on tiny-gpt2 with a required backend', () => {
  let run: ReturnType<typeof runCli>;
  let record: MainJobRecord;
  const out = join(scratch, 'reports');

  beforeAll(() => {
    run = runCli([
      '--backends',
      'ts:f32,ort-node:cuda',
      '--require',
      'ort-node:cuda',
      '--out',
      out,
      '--json',
    ]);
    record = JSON.parse(run.stdout);
  }, 300_000);

  it('writes latest.json, latest.md and latest.html, and prints one JSON object', () => {
    for (const file of ['latest.json', 'latest.md', 'latest.html'])
      expect(existsSync(join(out, file))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'))).toEqual(record);
    expect(record.schema).toBe('decode-harness/main-job@2');
    expect(record.options).toEqual({
      backends: ['ts:f32', 'ort-node:cuda'],
      required: ['ort-node:cuda'],
      full: false,
    });
  });

  it('ts:f32 ran everything: conformance, greedy agreement, every golden, a timing', () => {
    const f32 = record.backends[0]!;
    expect(f32.status).toBe('ran');
    if (f32.status !== 'ran') return;
    expect(f32.info.deviceKind).toBe('cpu');
    expect(f32.conformance.passed).toBe(true);
    expect(f32.greedy?.comparison.greedy.identical).toBe(f32.greedy?.comparison.greedy.prompts);
    expect(f32.goldens).toMatchObject({ status: 'checked', skipped: [], skippedReason: null });
    if (f32.goldens.status === 'checked') expect(f32.goldens.passed).toBe(f32.goldens.cases);
    expect(f32.timing.status).toBe('measured');
  });

  it('a required backend that cannot run fails the job, naming it, the reason and the fix', (ctx) => {
    const cuda = record.backends[1]!;
    if (cuda.status !== 'unavailable') {
      console.warn(`SKIP ${ctx.task.name}: ort-node:cuda can run here`);
      ctx.skip('ort-node:cuda can run here');
    }
    expect(record.passed).toBe(false);
    expect(record.counts).toEqual({ ran: 1, passed: 1, failed: 0, unavailable: 1, requiredNotPassed: 1 });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/required backend ort-node:cuda is unavailable: .+; fix: .+/);
  });

  it('the terminal report: counts in the heading, each tolerance beside its measurement, within 120 columns', () => {
    const text = renderText(mainJobDocument(record));
    expect(text.split('\n')[0]).toMatch(
      /^decode-harness main job on tiny-gpt2 — (FAILED|passed): 1 of 1 backends that ran; 1 unavailable \(1 required\); \d+ s$/,
    );
    expect(text).toMatch(/^ts:f32 +pass +cpu +float32 +\d\.\de-\d ≤ 1\.0e-4 +5\/5 +4\/4 +38\/38 +[\d.]+$/m);
    expect(text).toMatch(/^ort-node:cuda \(req\) +unavailable \[1\]$/m);
    expect(text.replace(/\n +/g, ' ')).toMatch(/^\[1\] ort-node:cuda unavailable: .+ Fix: /m); // wrapped
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(TERMINAL_COLUMNS);
  });

  it('a software adapter is named as such, with its golden subset and no timing figure', () => {
    const f32 = record.backends[0]!;
    if (f32.status !== 'ran' || f32.goldens.status !== 'checked') throw new Error('ts:f32 did not run');
    // The same outcome as a software adapter would report it (the job itself is checked above).
    const software = {
      ...f32,
      id: 'chromium:webgpu',
      info: {
        ...f32.info,
        id: 'chromium:webgpu',
        deviceKind: 'software-gpu' as const,
        device: 'WebGPU swiftshader (fallback (software) adapter)',
      },
      goldens: {
        ...f32.goldens,
        cases: 4,
        passed: 4,
        skipped: ['x'],
        skippedReason: 'chromium:webgpu runs on a software GPU adapter: 4 representative cases',
      },
      timing: { status: 'not-meaningful' as const, reason: 'a software GPU' },
    };
    const backends = [f32, software];
    const doc = mainJobDocument({ ...record, backends, counts: mainJobCounts(backends), passed: true });
    const text = renderText(doc);
    expect(text).toMatch(/^chromium:webgpu +pass +software +float32 .+ 4\/4 of 5 \[1\] +n\/a \[2\]$/m);
    expect(text).toContain('chromium:webgpu: SOFTWARE GPU: WebGPU swiftshader');
    expect(text).toMatch(/^\[2\] not meaningful: a software GPU$/m);
    expect(renderMarkdown(doc)).toContain('| chromium:webgpu | pass | software |');
  });
});

/**
 * Both HTML reports in headless Chromium: every plot is drawn (a uPlot canvas each) with its data
 * series and its limit lines in their colours, and a full-page screenshot is kept in
 * reports/screenshots/. (Axis titles are drawn on the canvas; the plot data's are unit-tested.)
 */
const chromium = chromiumAvailability(CHROMIUM_PATH);
describe.skipIf(!chromium.available)('the HTML reports in Chromium', () => {
  if (!chromium.available)
    console.warn(`SKIP HTML report screenshots: ${chromium.reason} (fix: ${chromium.fix})`);
  let browser: ChromiumBrowser;
  const out = join(scratch, 'pages');

  beforeAll(async () => {
    const run = runCli(['--backends', 'ts:f32', '--out', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const compare = runCli(['compare', '--backends', 'ts:f32', '--max-new-tokens', '6', '--out', out]);
    expect(compare.code, compare.stderr).toBe(0);
    browser = await ChromiumBrowser.launch({
      executablePath: CHROMIUM_PATH,
      webgpu: false,
      backendId: 'report pages',
    });
  }, 300_000);
  afterAll(() => browser?.close());

  /** Pixels of an exact colour in every plot canvas, summed per canvas. */
  async function drawn(file: string, colours: readonly (readonly [number, number, number])[]) {
    await browser.page.setContent(readFileSync(join(out, file), 'utf8'));
    await browser.page.waitForFunction(() => document.body.dataset.plotsDrawn !== undefined);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await browser.page.screenshot({ path: join(SCREENSHOTS, file.replace('.html', '.png')), fullPage: true });
    return browser.page.evaluate(
      (wanted) => {
        const canvases = [...document.querySelectorAll<HTMLCanvasElement>('.uplot canvas')];
        return {
          plots: Number(document.body.dataset.plotsDrawn),
          counts: canvases.map((canvas) => {
            const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
            return wanted.map(([r, g, b]) => {
              let n = 0;
              for (let i = 0; i < data.length; i += 4)
                if (data[i] === r && data[i + 1] === g && data[i + 2] === b) n++;
              return n;
            });
          }),
        };
      },
      colours as [number, number, number][],
    );
  }

  const FIRST_SERIES = [0x1f, 0x77, 0xb4] as const; // PLOT_SCRIPT's first series colour
  const MARKS = [0x55, 0x55, 0x55] as const; // per-x tolerance marks and the first limit line

  it('latest.html draws max |Δlogit| beside its tolerance and the per-step KLD with its gate', async () => {
    const page = await drawn('latest.html', [FIRST_SERIES, MARKS]);
    expect(page.plots).toBe(2);
    expect(page.counts).toHaveLength(2);
    for (const [series, limit] of page.counts) {
      expect(series, 'measured points / KLD line').toBeGreaterThan(20);
      expect(limit, 'tolerance marks / gate line').toBeGreaterThan(20);
    }
  });

  it('compare.html draws both per-step plots with their gate limits and labelled axes', async () => {
    const page = await drawn('compare.html', [FIRST_SERIES, MARKS]);
    expect(page.plots).toBe(2);
    for (const [series, limit] of page.counts) {
      expect(series).toBeGreaterThan(20);
      expect(limit).toBeGreaterThan(20);
    }
  });
});
