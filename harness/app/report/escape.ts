/** Text for HTML element content and attribute values. */
export const escapeHtml = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Text for a Markdown heading, table cell or list item: one line, no pipes or tags taken as such. */
export const escapeMarkdown = (s: string): string =>
  s.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('\n', ' ');
