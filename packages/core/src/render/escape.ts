/**
 * Escaping and truncation shared by the channel renderers. Everything an alarm controls (its name,
 * description, reason, dimensions...) goes through one of these before it reaches a channel.
 */

/**
 * Slack mrkdwn / plain_text: Slack's three control characters. After this, `<!channel>`, `<@U123>`,
 * `<#C1>` and `<http://evil|click>` are shown literally and never ping or turn into a (spoofed) link.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** HTML text and attribute values (double- or single-quoted). */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * C0 controls (CR, LF, TAB, ESC, NUL...), DEL, C1 controls, and the Unicode line/paragraph separators
 * (U+0085 is in C1; U+2028/U+2029 break lines in some clients).
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * A value safe for one email header line (or one terminal line): every run of control characters,
 * CR and LF included, becomes one space, so header injection (`\r\nBcc: x`) is impossible; the result
 * is trimmed and inner whitespace collapsed.
 */
export function headerSafe(text: string): string {
  return text.replace(CONTROL_CHARS, ' ').replace(/\s{2,}/g, ' ').trim();
}

/** Same as headerSafe but keeps line breaks (\n) and turns CRLF/CR into \n: for multi-line text parts. */
export function stripControls(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
  );
}

export const ELLIPSIS = '…';

/** Length in code points (a surrogate pair counts once). */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Lone UTF-16 surrogates (valid in JSON, not in UTF-8 or URLs) become U+FFFD, as a UTF-8 encoder would make them. */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * At most `max` code points; when cut, the last one is `ellipsis`. Never splits a surrogate pair.
 */
export function truncate(text: string, max: number, ellipsis = ELLIPSIS): string {
  if (max <= 0) return '';
  if (text.length <= max) return text; // UTF-16 length ≥ code points: certainly fits
  const points = Array.from(text);
  if (points.length <= max) return text;
  const room = max - codePointLength(ellipsis);
  if (room <= 0) return Array.from(ellipsis).slice(0, max).join('');
  return points.slice(0, room).join('') + ellipsis;
}

/**
 * At most `max` UTF-16 code units (JavaScript `.length`, which is also ≥ the code point count, so
 * the result fits a limit counted either way); when cut, ends with `ellipsis`. Never leaves half a
 * surrogate pair.
 */
export function truncateUnits(text: string, max: number, ellipsis = ELLIPSIS): string {
  if (max <= 0) return '';
  if (text.length <= max) return text;
  const room = max - ellipsis.length;
  if (room <= 0) return ellipsis.slice(0, max);
  let end = room;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // would keep a lone high surrogate
  return text.slice(0, end) + ellipsis;
}

/**
 * Truncates text that is already escaped (HTML or Slack entities) to `max` UTF-16 units without
 * leaving a partial entity such as `&am` at the cut.
 */
export function truncateEscaped(escaped: string, max: number, ellipsis = ELLIPSIS): string {
  if (escaped.length <= max) return escaped;
  const cut = truncateUnits(escaped, max, ellipsis);
  const body = cut.slice(0, cut.length - ellipsis.length);
  return body.replace(/&[a-z#0-9]*$/i, '') + ellipsis;
}

/** escapeSlack + truncation to `max` units, never cutting an entity. */
export function slackText(raw: string, max: number): string {
  return truncateEscaped(escapeSlack(raw), max);
}

/** escapeHtml + truncation to `max` code units of the *raw* text (the display length). */
export function htmlText(raw: string, max = Number.POSITIVE_INFINITY): string {
  return escapeHtml(Number.isFinite(max) ? truncateUnits(raw, max) : raw);
}

/** True when a URL is http(s) and safe to put in a link (no javascript:, data:, etc.). */
export function isHttpUrl(url: string | null | undefined): url is string {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
