/**
 * A bulletin: a titled list of sections of plain lines, for the messages that are not incident notices
 * (stakeholder updates, the alert-hygiene report). Lines are raw text: each renderer escapes them for its
 * channel (Slack mrkdwn, HTML), so a hostile alarm name or update text stays inert.
 */
import type { DigestSlackMessage, RenderedDigestEmail } from './digest';
import { EMAIL_BODY_MAX_BYTES, EMAIL_SUBJECT_MAX } from './email';
import { escapeHtml, headerSafe, isHttpUrl, shrinkToFit, slackText, stripControls, truncateEscaped, truncateUnits } from './escape';
import { SLACK_LIMITS } from './slack';

export interface Bulletin {
  /** One line: the Slack notification text and the email subject. */
  subject: string;
  /** Paragraph under the title (raw, may hold line breaks). */
  intro: string;
  sections: { title: string; lines: string[] }[];
  link?: { text: string; url: string } | null;
}

const SECTION_LINES = 15;

export function renderBulletinSlack(b: Bulletin): DigestSlackMessage {
  const blocks: DigestSlackMessage['blocks'] = [
    { type: 'header', text: { type: 'plain_text', text: truncateEscaped(slackText(headerSafe(b.subject), 140), SLACK_LIMITS.headerText), emoji: true } },
  ];
  if (b.intro) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackText(stripControls(b.intro), 2900), verbatim: true } });
  for (const s of b.sections.slice(0, 40)) {
    if (s.lines.length === 0) continue;
    const lines = s.lines.slice(0, SECTION_LINES).map((l) => `• ${slackText(headerSafe(l), 400)}`);
    if (s.lines.length > SECTION_LINES) lines.push(`…and ${s.lines.length - SECTION_LINES} more`);
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncateEscaped(`*${slackText(headerSafe(s.title), 150)}*\n${lines.join('\n')}`, 2900), verbatim: true },
    });
  }
  if (b.link && isHttpUrl(b.link.url)) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${b.link.url.replace(/[<>|]/g, encodeURIComponent)}|${slackText(b.link.text, 100)}>` }],
    });
  }
  return { text: slackText(headerSafe(b.subject), 300), blocks, unfurl_links: false, unfurl_media: false };
}

/** Full-size limits of one line and of the intro; halved until the email fits (shrinkToFit). */
const EMAIL_LINE_MAX = 1000;
const EMAIL_INTRO_MAX = 8000;
const EMAIL_SECTION_LINES = 200;

export function renderBulletinEmail(b: Bulletin): RenderedDigestEmail {
  const subject = truncateUnits(headerSafe(b.subject), EMAIL_SUBJECT_MAX);
  const render = (scale: number) => {
    const line = (l: string) => truncateUnits(headerSafe(l), Math.max(16, Math.floor(EMAIL_LINE_MAX * scale)));
    const intro = truncateUnits(stripControls(b.intro), Math.max(16, Math.floor(EMAIL_INTRO_MAX * scale)));
    const text: string[] = [subject, '', intro];
    const html: string[] = [`<h2>${escapeHtml(subject)}</h2>`, `<p style="white-space:pre-wrap">${escapeHtml(intro)}</p>`];
    for (const s of b.sections) {
      if (s.lines.length === 0) continue;
      const lines = s.lines.slice(0, EMAIL_SECTION_LINES).map(line);
      if (s.lines.length > EMAIL_SECTION_LINES) lines.push(`…and ${s.lines.length - EMAIL_SECTION_LINES} more`);
      text.push('', line(s.title), ...lines.map((l) => `- ${l}`));
      html.push(`<h3>${escapeHtml(line(s.title))}</h3><ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`);
    }
    if (b.link && isHttpUrl(b.link.url)) {
      text.push('', `${b.link.text}: ${b.link.url}`);
      html.push(`<p><a href="${escapeHtml(b.link.url)}">${escapeHtml(b.link.text)}</a></p>`);
    }
    return { subject, text: `${text.join('\n')}\n`, html: `<!doctype html><html><body>${html.join('\n')}</body></html>` };
  };
  return shrinkToFit(render, (r) => [r.text, r.html], EMAIL_BODY_MAX_BYTES);
}
