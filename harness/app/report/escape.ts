/**
 * Every escaper the report renderers use, one per target language (JUnit's XML has its own in
 * junit.ts).
 */

/** Text for HTML element content and attribute values. */
export const escapeHtml = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Text inlined in a <script> or <style> element that cannot end that element early. */
export const escapeRawText = (s: string, tag: 'script' | 'style'): string =>
  s.replaceAll(`</${tag}`, `<\\/${tag}`);

/** JSON embedded in a <script> element: no `<` at all, so no `</script>` or `<!--`. */
export const escapeScriptJson = (value: unknown): string => JSON.stringify(value).replaceAll('<', '\\u003c');

/**
 * Text for a Markdown heading, table cell or list item: one line, taken literally. Backslashes
 * first (so the escapes added after stay escapes), then `|` (a cell boundary), `<` and `&` (tags
 * and entities), the emphasis and code marks; a line break becomes a space.
 */
export const escapeMarkdown = (s: string): string =>
  s
    .replaceAll('\\', '\\\\')
    .replaceAll('|', '\\|')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replace(/[`*_]/g, '\\$&')
    .replace(/\r\n|\r|\n/g, ' ');

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; quotes doubled. */
export const escapeCsv = (value: string | number): string => {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};
