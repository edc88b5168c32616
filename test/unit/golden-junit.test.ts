import { describe, expect, it } from 'vitest';
import { escapeXml, renderJunit } from '../../harness/app/report/junit.ts';
import type { CaseOutcome, CheckReport } from '../../harness/engine/golden/check-result.ts';

/**
 * A minimal XML well-formedness check, enough for what renderJunit writes: one declaration, then
 * elements with double-quoted attributes, properly nested, text with no raw `<` or stray `&`.
 * Returns the elements seen (name + decoded attributes) in document order.
 */
function parseXml(xml: string): { name: string; attrs: Record<string, string>; text: string }[] {
  const decode = (s: string) => {
    expect(s).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
    return s
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&apos;', "'")
      .replaceAll('&amp;', '&');
  };
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these; the file must not hold any
  expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  const body = xml.slice(xml.indexOf('\n') + 1);
  const token = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const stack: string[] = [];
  const elements: { name: string; attrs: Record<string, string>; text: string }[] = [];
  let consumed = 0;
  for (let m = token.exec(body); m; m = token.exec(body)) {
    consumed = token.lastIndex;
    const [, close, name, attrs, selfClose, text] = m;
    if (text !== undefined) {
      if (stack.length === 0) expect(text.trim()).toBe('');
      else if (elements.length > 0) elements[elements.length - 1]!.text += decode(text);
      continue;
    }
    if (close) {
      expect(stack.pop()).toBe(name);
      continue;
    }
    const parsed: Record<string, string> = {};
    for (const a of attrs!.matchAll(/([\w-]+)="([^"]*)"/g)) parsed[a[1]!] = decode(a[2]!);
    elements.push({ name: name!, attrs: parsed, text: '' });
    if (!selfClose) stack.push(name!);
  }
  expect(consumed).toBe(body.length); // nothing the grammar above does not cover
  expect(stack).toEqual([]);
  return elements;
}

const outcome = (c: string, backend: string, failures: string[]): CaseOutcome => ({
  case: c,
  file: `fixtures/golden/tiny-gpt2/${c}.json`,
  backend,
  passed: failures.length === 0,
  mismatch: null,
  maxLogprobDeviation: 1e-5,
  deviationAt: { sequence: 0, step: 3 },
  logprobTolerance: 2e-4,
  failures,
  ms: 12.5,
});

const NASTY = 'step 5: token "<eos>" & \'x\' > y \u0001 \ud800 🚀';

const report: CheckReport = {
  schema: 'decode-harness/check@1',
  model: { name: 'tiny-gpt2', path: '/m', sha256: '0'.repeat(64) },
  goldenDir: '/g',
  passed: false,
  backends: [
    {
      backend: {
        id: 'ts:f32',
        device: 'cpu',
        deviceKind: 'cpu',
        executionProvider: 'ts',
        dtype: 'float32',
        threads: 1,
        versions: {},
      },
      cases: [outcome('greedy--fox', 'ts:f32', []), outcome('beam2--fox', 'ts:f32', [NASTY, 'second'])],
      passed: false,
      ms: 2000,
    },
    {
      backend: {
        id: 'ort-node:cpu',
        device: 'cpu',
        deviceKind: 'cpu',
        executionProvider: 'CPU',
        dtype: 'float32',
        threads: 2,
        versions: {},
      },
      cases: [outcome('greedy--fox', 'ort-node:cpu', [])],
      passed: true,
      ms: 1000,
    },
  ],
};

describe('JUnit XML', () => {
  it('is well-formed: one testsuite per backend, one testcase per case, failures with the message', () => {
    const elements = parseXml(renderJunit(report));
    const root = elements[0]!;
    expect(root).toMatchObject({ name: 'testsuites', attrs: { tests: '3', failures: '1' } });
    const suites = elements.filter((e) => e.name === 'testsuite');
    expect(suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures])).toEqual([
      ['golden tiny-gpt2 ts:f32', '2', '1'],
      ['golden tiny-gpt2 ort-node:cpu', '1', '0'],
    ]);
    expect(elements.filter((e) => e.name === 'testcase').map((e) => e.attrs.name)).toEqual([
      'greedy--fox',
      'beam2--fox',
      'greedy--fox',
    ]);
    const failures = elements.filter((e) => e.name === 'failure');
    expect(failures).toHaveLength(1);
    // The message survives escaping; characters XML cannot carry become U+FFFD.
    expect(failures[0]!.attrs.message).toBe('step 5: token "<eos>" & \'x\' > y \ufffd \ufffd 🚀');
    expect(failures[0]!.text).toContain('second');
  });

  it('escapes the five XML specials and keeps well-formed surrogate pairs', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('🚀\ud83d')).toBe('🚀\ufffd');
  });
});
