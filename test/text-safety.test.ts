/**
 * The text-safety corpus: bidi controls, zero-width and other invisible characters, C0/C1 controls, lone
 * surrogates and overlong names through every renderer (Slack, PagerDuty, email, dashboard, digest, Slack
 * replies). Nothing invisible comes out raw, every link is whole, every field is within its channel's limit.
 */
import { describe, expect, it } from 'vitest';
import {
  buildReview,
  computeDigest,
  defaultPolicy,
  EMAIL_BODY_MAX_BYTES,
  isHttpUrl,
  EMAIL_SUBJECT_MAX,
  escapeHtml,
  neutralize,
  PAGERDUTY_LIMITS,
  renderDashboardPage,
  renderDigestEmail,
  renderDigestSlack,
  renderEmail,
  renderIncidentPage,
  renderBulletinEmail,
  renderBulletinSlack,
  renderPagerDuty,
  renderReviewMarkdown,
  renderReviewPage,
  renderSlack,
  renderSlackParent,
  stakeholderBulletin,
  safeCut,
  SLACK_LIMITS,
  truncateEscaped,
  truncateUnits,
  type Incident,
  type PagerDutyTriggerEvent,
  type SlackBlock,
} from '@alert-router/core';
import { listReply, showReply, resolvedText, silencedText, ephemeral } from '../packages/aws/src/slack/replies';
import { makeIncident, makeNotice } from './helpers/incident-factory';
import { makeMember } from './helpers/group-factory';

const BIDI = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C'];
const INVISIBLE = [
  '\u200B',
  '\u200C',
  '\u200D',
  '\uFEFF',
  '\u2060',
  '\u00AD',
  '\u{E0041}',
  '\u0000',
  '\u0007',
  '\u001B',
  '\u007F',
  '\u0085',
  '\u009B',
  '\u2028',
];

const CORPUS: [string, string][] = [
  ['bidi override', 'Prod-DB-\u202Eevil.exe\u202C-Alarm'],
  ['every bidi control', `A${BIDI.join('b')}Z`],
  ['zero-width and invisible', `Hi${INVISIBLE.join('g')}h`],
  ['lone surrogate', 'x\uD800y\uDC00z'],
  ['mentions and links', '<!channel> <https://evil.example|click> & "quote"'],
  ['40,000 letters', 'A'.repeat(40_000)],
  ['20,000 overrides', '\u202E'.repeat(20_000)],
  ['20,000 emoji', '😀'.repeat(20_000)],
  ['13,000 mixed', 'a\u202E&😀<'.repeat(13_000)],
];

/** A raw invisible or direction-changing character (tab and newline allowed where `multiLine`). */
function rawInvisible(text: string, multiLine: boolean): string | null {
  for (const ch of text) {
    if (multiLine && (ch === '\n' || ch === '\t')) continue;
    if (/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(ch)) return `U+${ch.codePointAt(0)!.toString(16).toUpperCase()}`;
  }
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text) ? 'lone surrogate' : null;
}

/** No raw invisible character, and every `\u` we wrote is a whole escape. */
function expectNeutral(text: string, where: string, multiLine = true) {
  expect(rawInvisible(text, multiLine), where).toBeNull();
  expect(/\\u(?![0-9A-F]{4}|\{[0-9A-F]{1,6}\})/.test(text), `${where}: a cut escape`).toBe(false);
}

/** Every `<…>` in Slack mrkdwn closes, and every link is one we built. */
function expectWholeSlackLinks(text: string, where: string, allowed: string[]) {
  const opens = [...text.matchAll(/</g)].length;
  const links = [...text.matchAll(/<([^<>]*)>/g)].map((m) => m[1]);
  expect(links.length, `${where}: unbalanced <>`).toBe(opens);
  for (const l of links) if (l.startsWith('http')) expect(allowed, `${where}: ${l.slice(0, 80)}`).toContain(l.split('|')[0]);
}

function slackTexts(blocks: SlackBlock[]): { text: string; max: number; where: string }[] {
  const out: { text: string; max: number; where: string }[] = [];
  blocks.forEach((b, n) => {
    const where = `block ${n} (${b.type})`;
    if (b.type === 'header') out.push({ text: b.text.text, max: SLACK_LIMITS.headerText, where });
    if (b.type === 'section') {
      if (b.text) out.push({ text: b.text.text, max: SLACK_LIMITS.sectionText, where });
      b.fields?.forEach((f, k) => out.push({ text: f.text, max: SLACK_LIMITS.fieldText, where: `${where} field ${k}` }));
    }
    if (b.type === 'context') b.elements.forEach((e, k) => out.push({ text: e.text, max: SLACK_LIMITS.sectionText, where: `${where} element ${k}` }));
  });
  return out;
}

function corpusIncident(name: string, n = 0): Incident {
  return makeIncident({
    id: `INC-${String(n).padStart(8, '0')}`,
    alarmName: name,
    incidentKey: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`,
    alarm: { reason: `reason ${name}`, description: `description ${name}`, dimensions: { [name.slice(0, 300)]: name } },
    silencedBy: `SIL-1 (${name.slice(0, 500)})`,
    acknowledgedBy: `slack:U1 (${name.slice(0, 200)})`,
    timeline: [{ at: '2024-01-15T10:05:03.000Z', type: 'opened', by: 'cloudwatch', detail: name }],
  });
}

const policy = defaultPolicy();
const DASHBOARD = 'https://alerts.example.com';

describe.each(CORPUS)('%s', (_label, name) => {
  const incident = corpusIncident(name);
  const notice = makeNotice({ incident }, { dashboardUrl: DASHBOARD });
  const links = [notice.links.console, notice.links.runbook, notice.links.dashboard].filter((l): l is string => !!l);

  it('every link of the notice is short enough to stay whole', () => {
    expect(links).toHaveLength(3);
    for (const l of links) expect(l.length).toBeLessThan(600);
  });

  it.each(['trigger', 'escalate', 'acknowledge', 'resolve'] as const)('Slack (%s): neutral, within limits, links whole and kept', (event) => {
    const m = renderSlack({ ...notice, event, tier: 'cto', note: name });
    expectNeutral(m.text, 'text', false);
    expect(m.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
    const blocks = [...m.blocks, ...m.attachments.flatMap((a) => a.blocks)];
    for (const a of m.attachments) expectNeutral(a.fallback, 'fallback', false);
    for (const t of slackTexts(blocks)) {
      expect(t.text.length, t.where).toBeLessThanOrEqual(t.max);
      expectNeutral(t.text, t.where, !t.where.includes('header'));
      expectWholeSlackLinks(t.text, t.where, links);
    }
    const context = blocks.filter((b) => b.type === 'context').flatMap((b) => (b.type === 'context' ? b.elements.map((e) => e.text) : []));
    expect(context.join(' ')).toContain(`<${DASHBOARD}/incidents/${incident.id}|Dashboard>`);
    if (event === 'trigger') expect(context.join(' ')).toContain(`<${notice.links.runbook}|Runbook>`);
  });

  it('a group with this name among 60 members: Slack (every event and the parent), email update and PagerDuty neutral and bounded', () => {
    const members = Array.from({ length: 60 }, (_, n) => makeMember({ name: n % 2 ? name : `Alarm${n}`, recovered: n % 3 === 0 }, n));
    const group = makeNotice({ incident: { ...incident, members } }, { dashboardUrl: DASHBOARD });
    const slack = [
      ...(['trigger', 'escalate', 'acknowledge', 'resolve', 'update'] as const).map((event) => renderSlack({ ...group, event, note: name })),
      renderSlackParent(group),
    ];
    for (const m of slack) {
      expectNeutral(m.text, 'text', false);
      expect(m.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
      const blocks = [...m.blocks, ...m.attachments.flatMap((a) => a.blocks)];
      expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
      for (const t of slackTexts(blocks)) {
        expect(t.text.length, t.where).toBeLessThanOrEqual(t.max);
        expectNeutral(t.text, t.where, !t.where.includes('header'));
        expectWholeSlackLinks(t.text, t.where, links);
      }
    }
    const email = renderEmail({ ...group, event: 'update', note: name });
    expectNeutral(email.subject, 'subject', false);
    expect(email.subject.length).toBeLessThanOrEqual(EMAIL_SUBJECT_MAX);
    expect(Buffer.byteLength(email.html)).toBeLessThanOrEqual(EMAIL_BODY_MAX_BYTES);
    expectNeutral(email.html, 'html');
    const pd = renderPagerDuty(group, 'R'.repeat(32)) as PagerDutyTriggerEvent;
    expect(pd.payload.summary.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.summary);
    expectNeutral(pd.payload.summary, 'summary', false);
    expectNeutral(JSON.stringify(pd.payload.custom_details).replace(/\\[nt]/g, ' '), 'custom_details');
  });

  it('PagerDuty: summary, dedup_key, source and details neutral and within limits', () => {
    const e = renderPagerDuty(notice, 'R'.repeat(32)) as PagerDutyTriggerEvent;
    expect(e.payload.summary.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.summary);
    expect(e.dedup_key.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.dedupKey);
    expect(e.payload.source.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.source);
    for (const [k, v] of [
      ['summary', e.payload.summary],
      ['dedup_key', e.dedup_key],
      ['source', e.payload.source],
    ] as const)
      expectNeutral(v, k, false);
    expectNeutral(JSON.stringify(e.payload.custom_details).replace(/\\[nt]/g, ' '), 'custom_details');
    for (const v of Object.values(JSON.parse(JSON.stringify(e.payload.custom_details)) as Record<string, unknown>)) {
      if (typeof v === 'string') expectNeutral(v, 'custom_details value');
    }
    expect(e.links?.map((l) => l.href)).toEqual(links);
    // trigger and resolve agree on the key
    expect((renderPagerDuty({ ...notice, event: 'resolve' }, 'R') as { dedup_key: string }).dedup_key).toBe(e.dedup_key);
  });

  it.each(['trigger', 'escalate', 'resolve'] as const)('email (%s): subject and both parts bounded, neutral, links whole', (event) => {
    const m = renderEmail({ ...notice, event, tier: 'cto', note: name });
    expect(m.subject.length).toBeLessThanOrEqual(EMAIL_SUBJECT_MAX);
    expectNeutral(m.subject, 'subject', false);
    expect(Buffer.byteLength(m.text)).toBeLessThanOrEqual(EMAIL_BODY_MAX_BYTES);
    expect(Buffer.byteLength(m.html)).toBeLessThanOrEqual(EMAIL_BODY_MAX_BYTES);
    expectNeutral(m.text, 'text');
    expectNeutral(m.html, 'html');
    const hrefs = [...m.html.matchAll(/href="([^"]*)"/g)].map((x) => x[1].replace(/&amp;/g, '&'));
    expect(hrefs.sort()).toEqual([...(event === 'resolve' ? links : links)].sort());
    for (const l of links) expect(m.text).toContain(l);
  });

  it('dashboard: list and incident page neutral (the full name on the incident page)', () => {
    const session = { csrf: 'c', user: null, authEnabled: false };
    const list = renderDashboardPage(
      {
        now: '2024-01-15T11:00:00.000Z',
        policy,
        filters: { severity: null, status: null, alarm: null, hours: 24 },
        active: [incident],
        resolved: [],
        history: [incident],
        silences: [
          {
            id: 'SIL-1',
            match: name,
            reason: name,
            author: name,
            startsAt: '2024-01-15T10:00:00.000Z',
            endsAt: '2024-01-15T12:00:00.000Z',
            createdAt: '2024-01-15T10:00:00.000Z',
          } as never,
        ],
        outbox: {
          channels: { slack: false },
          entries: [{ at: '2024-01-15T10:05:04.000Z', channel: 'slack', event: 'trigger', incidentId: incident.id, summary: name }],
        },
        session,
      },
      { path: '/', poll: 'p' },
    );
    expectNeutral(list, 'dashboard');
    const page = renderIncidentPage({ incident, now: '2024-01-15T11:00:00.000Z', policy, session }, { poll: 'p' });
    expectNeutral(page, 'incident page');
    expect(page).toContain(escapeHtml(name).slice(0, 2000));
  });

  it('digest: Slack and email neutral, within limits, links whole', () => {
    const silence = {
      id: 'SIL-1',
      match: name,
      reason: name,
      author: name,
      startsAt: '2024-01-15T10:00:00.000Z',
      endsAt: '2024-01-16T12:00:00.000Z',
      createdAt: '2024-01-15T10:00:00.000Z',
    } as never;
    const r = computeDigest({
      incidents: [incident],
      unresolved: [incident],
      silences: [silence],
      policy,
      from: '2024-01-15T00:00:00.000Z',
      to: '2024-01-16T00:00:00.000Z',
    });
    const s = renderDigestSlack(r, { policy, dashboardUrl: DASHBOARD });
    expectNeutral(s.text, 'digest text', false);
    expect(s.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
    for (const t of slackTexts(s.blocks)) {
      expect(t.text.length, t.where).toBeLessThanOrEqual(t.max);
      expectNeutral(t.text, t.where);
      expectWholeSlackLinks(t.text, t.where, [DASHBOARD, `${DASHBOARD}/`, `${DASHBOARD}/incidents/${incident.id}`]);
    }
    const e = renderDigestEmail(r, { policy, dashboardUrl: DASHBOARD });
    expectNeutral(e.subject, 'digest subject', false);
    expect(e.subject.length).toBeLessThanOrEqual(EMAIL_SUBJECT_MAX);
    expectNeutral(e.text, 'digest email text');
    expectNeutral(e.html, 'digest email html');
    expect(Buffer.byteLength(e.html)).toBeLessThanOrEqual(EMAIL_BODY_MAX_BYTES);
  });

  it('review draft (Markdown and page) and stakeholder bulletin: neutral, bounded', () => {
    const review = buildReview(incident, policy);
    const md = renderReviewMarkdown(review);
    expectNeutral(md, 'review markdown');
    expectNeutral(renderReviewPage(review, md, { csrf: 'c', user: null, authEnabled: false }), 'review page');
    const b = stakeholderBulletin(incident, { at: '2024-01-15T11:00:00.000Z', who: name, text: name }, policy, DASHBOARD);
    const s = renderBulletinSlack(b);
    expectNeutral(s.text, 'bulletin text', false);
    for (const t of slackTexts(s.blocks)) {
      expect(t.text.length, t.where).toBeLessThanOrEqual(t.max);
      expectNeutral(t.text, t.where);
      expectWholeSlackLinks(t.text, t.where, [DASHBOARD, `${DASHBOARD}/incidents/${incident.id}`]);
    }
    const e = renderBulletinEmail(b);
    expectNeutral(e.subject, 'bulletin subject', false);
    expect(e.subject.length).toBeLessThanOrEqual(EMAIL_SUBJECT_MAX);
    expectNeutral(e.html, 'bulletin html');
    expect(Buffer.byteLength(e.html)).toBeLessThanOrEqual(EMAIL_BODY_MAX_BYTES);
  });

  it('Slack replies: neutral, within the reply limit, the "…and N more" line and the links kept', () => {
    const many = Array.from({ length: 30 }, (_, n) => ({ ...corpusIncident(name, n), status: n % 2 ? ('acknowledged' as const) : ('open' as const) }));
    const list = listReply(many, null, new Date('2024-01-15T12:00:00Z'), DASHBOARD);
    expectNeutral(list.text, 'list');
    expect(list.text.length).toBeLessThanOrEqual(3900);
    expect(list.text).toMatch(new RegExp(`\\n…and \\d+ more on the dashboard: ${DASHBOARD.replace(/\./g, '\\.')}$`));
    const shown = list.text.split('\n').filter((l) => l.includes('`INC-')).length;
    expect(list.text).toContain(`…and ${30 - shown} more`);

    const show = showReply(incident, new Date('2024-01-15T12:00:00Z'), { dashboard: `${DASHBOARD}/incidents/${incident.id}`, console: notice.links.console });
    expectNeutral(show.text, 'show');
    expect(show.text.length).toBeLessThanOrEqual(3900);
    expect(show.text).toContain(`<${DASHBOARD}/incidents/${incident.id}|Dashboard>`);
    expectWholeSlackLinks(show.text, 'show', links);

    const actor = { id: 'U1', name };
    for (const text of [
      resolvedText({ ...incident, resolvedAt: '2024-01-15T11:00:00.000Z' }, actor as never, name),
      silencedText(
        { id: 'SIL-1', match: name, reason: name, author: 'a', startsAt: '2024-01-15T10:00:00.000Z', endsAt: '2024-01-15T11:00:00.000Z' } as never,
        actor as never,
      ),
    ]) {
      const reply = ephemeral(text);
      expectNeutral(reply.text, 'reply');
      expect(reply.text.length).toBeLessThanOrEqual(3900);
    }
  });
});

describe('the primitives', () => {
  it('neutralize shows each invisible character as its escape and keeps tab and newline', () => {
    expect(neutralize('a\u202Eb\u200Bc\u{E0041}\r\nd\te\u0000')).toBe('a\\u202Eb\\u200Bc\\u{E0041}\nd\te\\u0000');
    expect(neutralize(neutralize('x\u2066y'))).toBe('x\\u2066y');
  });

  it('a cut never lands inside an escape, an entity, a surrogate pair or a Slack link', () => {
    const t = 'ab\\u202Ecd';
    for (let end = 0; end <= t.length; end++) expect([0, 1, 2, 8, 9, 10]).toContain(safeCut(t, end));
    expect(truncateUnits('😀😀', 3)).toBe('😀…');
    expect(truncateEscaped('x &amp; y', 6)).toBe('x …');
    expect(truncateEscaped('see <https://example.com/a|A> and more', 20)).toBe('see …');
    // fuzz every cut of a mixed text
    const mixed = neutralize('a\u202E&😀<'.repeat(20)).replace(/&/g, '&amp;');
    for (let max = 1; max <= mixed.length; max++) {
      const cut = truncateUnits(mixed, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(/\\u(?![0-9A-F]{4})/.test(cut) || /&[a-z]*…$/.test(cut) || /[\uD800-\uDBFF]…$/.test(cut)).toBe(false);
    }
  });
});

describe('isHttpUrl: only http(s) links are ever rendered', () => {
  it.each([
    ['https://alerts.example.com/incidents/inc-1', true],
    ['HTTP://example.com:8080/a?b=c#d', true],
    ['https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/a%20b', true],
    ['javascript:alert(1)', false],
    ['data:text/html,<script>alert(1)</script>', false],
    [' https://example.com', false],
    ['https:example.com', false],
    ['https://', false],
    ['https://exa mple.com', false],
    ['ftp://example.com', false],
    ['', false],
    [null, false],
  ])('%j → %s', (url, want) => {
    expect(isHttpUrl(url)).toBe(want);
  });
});
