/**
 * Escaping and truncation shared by the channel renderers. Everything an alarm controls (its name,
 * description, reason, dimensions...) goes through one of these before it reaches a channel.
 */

const HTTP_SCHEME = /^https?:\/\//i;
/** Characters escapeSlack / escapeHtml replace: most alarm text has none and is returned as it is. */
const SLACK_SPECIAL = /[&<>]/;
const HTML_SPECIAL = /[&<>"']/;

/**
 * Characters that change how text around them is shown, or are not shown at all: C0/C1 controls, the Unicode
 * format characters (bidi embeddings/overrides/isolates U+202A–202E and U+2066–2069, marks U+200E/200F/U+061C,
 * zero-width U+200B–200D, U+FEFF, tags U+E0000…) and the line/paragraph separators U+2028/U+2029.
 * One character class: no backtracking.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** `\u202E` (or `\u{E0041}` beyond the BMP): how a neutralised character is shown. */
export function visibleEscape(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase();
  return cp > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}

/**
 * The text-safety layer every channel goes through: every invisible or direction-changing character is shown
 * visibly as its escape (`\u202E`), so what people read is what the text is. Tab and line feed are kept
 * (CR LF and CR become LF); lone surrogates become U+FFFD. Idempotent.
 */
export function neutralize(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text; // the usual alarm text: nothing to do
  return wellFormed(text)
    .replace(/\r\n?/g, '\n')
    .replace(INVISIBLE, (ch) => (ch === '\n' || ch === '\t' ? ch : visibleEscape(ch)));
}

/**
 * Slack mrkdwn / plain_text: Slack's three control characters. After this, `<!channel>`, `<@U123>`,
 * `<#C1>` and `<http://evil|click>` are shown literally and never ping or turn into a (spoofed) link.
 * Neutralised (see neutralize).
 */
export function escapeSlack(text: string): string {
  const t = neutralize(text);
  return SLACK_SPECIAL.test(t) ? t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : t;
}

/** HTML text and attribute values (double- or single-quoted). Neutralised (see neutralize). */
export function escapeHtml(text: string): string {
  const t = neutralize(text);
  if (!HTML_SPECIAL.test(t)) return t;
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Whitespace that breaks a line (or a header): it becomes one space in single-line values. */
const LINE_BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;

/**
 * A value safe for one email header line (or one terminal line): every run of line breaks and tabs becomes one
 * space, so header injection (`\r\nBcc: x`) is impossible; other controls and invisible characters are shown
 * as escapes (neutralize); the result is trimmed and inner whitespace collapsed.
 */
export function headerSafe(text: string): string {
  return neutralize(text.replace(LINE_BREAKS, ' '))
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/** Same as headerSafe but keeps line breaks (\n; CRLF, CR, U+2028/9 become \n): for multi-line text parts. */
export function stripControls(text: string): string {
  return neutralize(text.replace(/\r\n?|[\u2028\u2029]/g, '\n'));
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

/** The escapes we write (`\u202E`, `\u{E0041}`) and HTML/Slack entities: a cut never lands inside one. */
const ATOM = /\\u\{[0-9A-F]{1,6}\}|\\u[0-9A-F]{4}|&(?:[a-z][a-z0-9]{1,9}|#\d{1,7}|#x[0-9a-f]{1,6});/gi;
const ATOM_MAX = 12;

/** The largest cut point ≤ `end` that is not inside a surrogate pair, an escape or an entity. */
export function safeCut(text: string, end: number): number {
  if (end <= 0) return 0;
  if (end >= text.length) return text.length;
  const from = Math.max(0, end - ATOM_MAX);
  for (const m of text.slice(from, end + ATOM_MAX).matchAll(ATOM)) {
    const s = from + (m.index ?? 0);
    if (s < end && end < s + m[0].length) return s;
  }
  const before = text.charCodeAt(end - 1);
  return before >= 0xd800 && before <= 0xdbff ? end - 1 : end;
}

/**
 * At most `max` code points; when cut, the last one is `ellipsis`. Never splits a surrogate pair, an escape
 * or an entity.
 */
export function truncate(text: string, max: number, ellipsis = ELLIPSIS): string {
  if (max <= 0) return '';
  if (text.length <= max) return text; // UTF-16 length ≥ code points: certainly fits
  const points = Array.from(text);
  if (points.length <= max) return text;
  const room = max - codePointLength(ellipsis);
  if (room <= 0) return Array.from(ellipsis).slice(0, max).join('');
  return text.slice(0, safeCut(text, points.slice(0, room).join('').length)) + ellipsis;
}

/**
 * At most `max` UTF-16 code units (JavaScript `.length`, which is also ≥ the code point count, so
 * the result fits a limit counted either way); when cut, ends with `ellipsis`. Never leaves half a
 * surrogate pair, an escape or an entity.
 */
export function truncateUnits(text: string, max: number, ellipsis = ELLIPSIS): string {
  if (max <= 0) return '';
  if (text.length <= max) return text;
  const room = max - ellipsis.length;
  if (room <= 0) return ellipsis.slice(0, max);
  return text.slice(0, safeCut(text, room)) + ellipsis;
}

/**
 * Truncates text that is already escaped (HTML or Slack entities, Slack `<url|label>` links we built) to `max`
 * UTF-16 units without leaving a partial entity, escape or link at the cut.
 */
export function truncateEscaped(escaped: string, max: number, ellipsis = ELLIPSIS): string {
  if (escaped.length <= max) return escaped;
  const cut = truncateUnits(escaped, max, ellipsis);
  let body = cut.slice(0, cut.length - ellipsis.length);
  // In escaped Slack text every `<` is one we wrote (a link or mention): never keep half of one.
  const open = body.lastIndexOf('<');
  if (open > body.lastIndexOf('>')) body = body.slice(0, open);
  return body + ellipsis;
}

/**
 * Whole pieces joined by `separator`, as many as fit in `max` units (in order); the rest are dropped, never cut.
 * For lines of links and lists that must keep their last line: reserve it from `max`.
 */
export function joinWithin(pieces: string[], separator: string, max: number): { text: string; kept: number } {
  let text = '';
  let kept = 0;
  for (const p of pieces) {
    const next = kept === 0 ? p : `${text}${separator}${p}`;
    if (next.length > max) break;
    text = next;
    kept++;
  }
  return { text, kept };
}

/** escapeSlack + truncation to `max` units, never cutting an entity. */
export function slackText(raw: string, max: number): string {
  return truncateEscaped(escapeSlack(raw), max);
}

/** escapeHtml + truncation to `max` code units of the *raw* text (the display length). */
export function htmlText(raw: string, max = Number.POSITIVE_INFINITY): string {
  return escapeHtml(Number.isFinite(max) ? truncateUnits(raw, max) : raw);
}

/**
 * Renders at scale 1, ½, ¼ … (the renderer multiplies its field limits by it) until every part fits `maxBytes`
 * of UTF-8, or the scale reaches `minScale`: a bound on the whole message whatever its fields hold.
 */
export function shrinkToFit<T>(render: (scale: number) => T, parts: (r: T) => string[], maxBytes: number, minScale = 1 / 512): T {
  for (let scale = 1; ; scale /= 2) {
    const r = render(scale);
    if (scale <= minScale || parts(r).every((p) => Buffer.byteLength(p, 'utf8') <= maxBytes)) return r;
  }
}

/** True when a URL is http(s) and safe to put in a link (no javascript:, data:, etc.). */
export function isHttpUrl(url: string | null | undefined): url is string {
  // The scheme first, as written (no leading blanks, nothing the URL parser would strip), then a full parse
  // without building a URL object: links are checked on every notice.
  return !!url && HTTP_SCHEME.test(url) && URL.canParse(url);
}
