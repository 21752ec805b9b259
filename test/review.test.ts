/**
 * The post-incident review draft. The golden incident is made by the real pipeline on a controlled clock from a
 * CloudWatch alarm fixture (test/fixtures/alarms/metric-alarm.event.json) and the OK derived from it: the Slack
 * trigger fails four times and is resent by the Lambda retry, an escalation step runs, a person acknowledges,
 * another posts a stakeholder update, CloudWatch resolves. Its Markdown is held in test/fixtures/review/.
 * `UPDATE_GOLDEN=1 npx vitest run test/review.test.ts` rewrites the golden file after an intended change.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import MarkdownIt from 'markdown-it';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReview, defaultPolicy, parseInput, renderReviewMarkdown, renderReviewPage, type Incident, type Policy } from '@alert-router/core';
import { acknowledgeIncident, deliverWithRetry, loadReview, postStakeholderUpdate, processNotification, runEscalations, type Actor } from '@alert-router/aws';
import { makeIncident } from './helpers/incident-factory';
import { routerWithPeers } from './helpers/router-runtime';
import { ungroupedPolicy } from './helpers/policies';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GOLDEN = resolve(ROOT, 'test/fixtures/review/golden-incident.md');
const FIXTURE = JSON.parse(readFileSync(resolve(ROOT, 'test/fixtures/alarms/metric-alarm.event.json'), 'utf8')) as {
  Records: { Sns: Record<string, unknown> }[];
};

/** The default policy with one rule that makes the fixture's alarm a P0 under the High Error Rate runbook. */
function goldenPolicy(): Policy {
  const base = ungroupedPolicy();
  return { ...base, rules: [{ name: 'Payment failures', alarmName: 'orders-api-payment-*', severity: 'P0', runbook: 'high-error-rate' }, ...base.rules] };
}

/** The fixture's ALARM, or the OK derived from it (state, previous state, time, reason and message id changed). */
function fixtureEvent(state: 'ALARM' | 'OK', at?: string) {
  const record = structuredClone(FIXTURE.Records[0]);
  if (state === 'OK') {
    const msg = JSON.parse(record.Sns.Message as string) as Record<string, unknown>;
    Object.assign(msg, {
      NewStateValue: 'OK',
      OldStateValue: 'ALARM',
      StateChangeTime: at,
      NewStateReason:
        'Threshold Crossed: 1 out of the last 1 datapoints [0.0 (24/11/26 06:25:00)] was not greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition).',
    });
    record.Sns.Message = JSON.stringify(msg);
    record.Sns.MessageId = '57c992bc-21f6-5a74-bda5-c8b9155571cb';
    record.Sns.Subject = null;
  }
  return { Records: [record] };
}

const alice: Actor = { id: 'U024BE7LH', name: 'alice', via: 'slack' };
const bob: Actor = { id: 'dashboard', name: 'bob', via: 'dashboard' };

describe('review draft of the golden incident (real pipeline, controlled clock)', () => {
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  let clock = new Date('2026-11-24T06:12:32.000Z');
  const at = (iso: string) => (clock = new Date(iso));
  let incident: Incident;
  let markdown: string;
  let pagerdutyBeforeUpdate = 0;

  beforeAll(async () => {
    env = await routerWithPeers(
      { STAKEHOLDER_EMAILS: 'exec@example.com,support-lead@example.com' },
      {
        policy: goldenPolicy(),
        now: () => clock,
        // The shared retry rule with its waits taken out: the attempt counts do not depend on the machine's speed.
        deliver: (notifier, notice) => deliverWithRetry(notifier, notice, { budgetMs: 60_000, sleep: async () => {}, random: () => 0 }),
      },
    );
    const [alarm] = parseInput(fixtureEvent('ALARM')).notifications;

    env.slack.script.push(...Array.from({ length: 4 }, () => ({ status: 500, body: 'internal_error' })));
    const opened = await processNotification(alarm, env.rt);
    expect(opened).toMatchObject({ kind: 'opened', severity: 'P0', retryableFailure: true });

    at('2026-11-24T06:13:02.000Z'); // Lambda retries the invocation: only the failed Slack notice is resent
    expect(await processNotification(alarm, env.rt)).toMatchObject({ kind: 'resent', retryableFailure: false });

    at('2026-11-24T06:17:45.000Z'); // past the 5-minute response time: the sweep takes step 1
    expect((await runEscalations(env.rt)).escalated).toHaveLength(1);

    at('2026-11-24T06:20:15.000Z');
    expect((await acknowledgeIncident(env.rt, opened.incidentId!, alice, { skip: ['slack'] })).kind).toBe('done');

    pagerdutyBeforeUpdate = env.pagerduty.received.length;
    at('2026-11-24T06:27:35.000Z');
    const update = await postStakeholderUpdate(
      env.rt,
      opened.incidentId!,
      bob,
      'Payment failures at checkout; the payment provider is failing over. Next update 06:50 UTC.',
    );
    expect(update.kind).toBe('posted');

    at('2026-11-24T06:31:47.000Z');
    const [ok] = parseInput(fixtureEvent('OK', '2026-11-24T06:31:46.200+0000')).notifications;
    expect((await processNotification(ok, env.rt)).kind).toBe('resolved');

    const review = await loadReview(env.rt, opened.incidentId!.toLowerCase());
    incident = review!.incident;
    markdown = review!.markdown;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('matches the golden file', () => {
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) {
      mkdirSync(dirname(GOLDEN), { recursive: true });
      writeFileSync(GOLDEN, markdown);
    }
    expect(markdown).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('is deterministic: the same records give the same text', () => {
    expect(renderReviewMarkdown(buildReview(structuredClone(incident), goldenPolicy()))).toBe(markdown);
  });

  it('reads in order, from the first alarm to the resolution, and names every actor', () => {
    const rows = markdown
      .split('## Timeline')[1]
      .split('\n## ')[0]
      .split('\n')
      .filter((l) => /^\| 2026/.test(l));
    const times = rows.map((r) => r.slice(2, 25));
    expect(times).toEqual([...times].sort());
    const what = rows.map((r) => r.split(' | ')[2].replace(/\\(.)/g, '$1'));
    const find = (re: RegExp) => what.findIndex((w) => re.test(w));
    const order = [
      find(/^Incident opened/),
      find(/^trigger notice via slack: failed after 4 attempts/),
      find(/^trigger notice via slack: delivered on resend after 1 attempt/),
      find(/^Escalated: step 1\/3: On-call engineer via pagerduty, slack/),
      find(/^Acknowledged/),
      find(/^Stakeholder update: Payment failures/),
      find(/^Resolved: Threshold Crossed/),
    ];
    expect(
      order.every((k) => k >= 0),
      order.join(','),
    ).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const actors = markdown.split('## People and systems involved')[1].split('\n## ')[0];
    for (const who of ['CloudWatch', 'router', 'escalation sweep', 'alice (slack)', 'bob (dashboard)']) expect(actors).toContain(`- ${who}`);
  });

  it("measures acknowledgement and resolution against the severity's response time", () => {
    expect(markdown).toContain('| Time to acknowledge | 5 min (by 2026-11-24 06:17:32 UTC) | 7 min 43 s | **breached** by 2 min 43 s (acknowledged) |');
    expect(markdown).toContain('| Time to resolve | — | 19 min 15 s | resolved by CloudWatch |');
    expect(markdown).toContain('- **Threshold:** `1`');
    expect(markdown).toContain('**High Error Rate**');
  });

  it('posted the stakeholder update to Slack and the stakeholder list, and paged nobody', () => {
    expect(env.pagerduty.received.length).toBe(pagerdutyBeforeUpdate + 1); // the resolve only, not the update
    expect((env.pagerduty.received.at(-1)!.body as { event_action: string }).event_action).toBe('resolve');
    const mail = env.smtp.messages.filter((m) => m.to.includes('exec@example.com'));
    expect(mail).toHaveLength(1);
    expect(mail[0].to.sort()).toEqual(['exec@example.com', 'support-lead@example.com']);
    expect(mail[0].raw).toContain('Payment failures at checkout');
    expect(env.slack.received.some((r) => JSON.stringify(r.body).includes('Update on'))).toBe(true);
  });
});

describe('hostile alarm text in the review', () => {
  const hostile =
    '<script>alert(1)</script> [click](javascript:alert(1)) ![x](https://evil.example/x.png) | a | b | **bold** `code` &amp; <img src=x onerror=alert(1)>';
  const incident = makeIncident({
    alarmName: hostile,
    status: 'resolved',
    resolvedAt: '2024-01-15T10:20:00.000Z',
    resolvedBy: 'slack:U1 (<b>mallory</b> | x)',
    alarm: {
      reason: `line one\n# Injected heading\n\n<iframe src="https://evil.example"></iframe>`,
      description: '[[link]] <https://evil.example> www.evil.example.com mail@evil.example.com',
      dimensions: { 'Service`': '`` <b>x</b> | y ``' },
    },
    timeline: [
      { at: '2024-01-15T10:05:03.000Z', type: 'opened', by: 'cloudwatch', detail: hostile },
      { at: '2024-01-15T10:20:00.000Z', type: 'resolved', by: 'slack:U1 (<b>mallory</b> | x)', detail: '| --- | ``` \n## nope' },
    ],
  });
  const policy = defaultPolicy();
  const model = buildReview(incident, policy);
  const md = renderReviewMarkdown(model);

  it('is inert Markdown, even for a renderer that allows raw HTML and links bare URLs', () => {
    const out = new MarkdownIt({ html: true, linkify: true }).render(md);
    expect(out).not.toMatch(/<(script|img|iframe|b)\b/i);
    expect(out).not.toMatch(/<a\s/i);
    expect(out).not.toMatch(/<strong>bold/);
    expect(out.match(/<h1>/g)).toHaveLength(1);
    expect(out).not.toContain('Injected heading</h');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('<code>Service`=`` &lt;b&gt;x&lt;/b&gt; | y ``</code>');
    // Every timeline row keeps its three cells: a pipe in alarm text does not add columns.
    const timeline = out.split('<h2>Timeline</h2>')[1].split('<h2>')[0];
    for (const tr of timeline.match(/<tr>[\s\S]*?<\/tr>/g)!) expect(tr.match(/<t[dh]>/g)).toHaveLength(3);
  });

  it('is inert on the dashboard page', () => {
    const page = renderReviewPage(model, md, { csrf: null, user: null, authEnabled: false });
    expect(page).not.toMatch(/<(script|img|iframe)\b[^>]*(alert|evil|onerror)/i);
    expect(page).not.toContain('<b>mallory');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.match(/<script\b/g)).toHaveLength(1); // only /assets/app.js
  });
});

describe('review of a group (an incident listing member incidents)', () => {
  it("merges the members' timelines in time order, with the alarm of each entry, and lists the members", () => {
    const lead = makeIncident({
      id: 'INC-AAAAAAAA',
      timeline: [
        { at: '2024-01-15T10:05:03.000Z', type: 'opened', by: 'cloudwatch' },
        { at: '2024-01-15T10:09:00.000Z', type: 'acknowledged', by: 'slack:U1 (alice)' },
      ],
    });
    const member = makeIncident({
      id: 'INC-BBBBBBBB',
      alarmName: 'HighResponseTime',
      severity: 'P1',
      openedAt: '2024-01-15T10:06:00.000Z',
      timeline: [
        { at: '2024-01-15T10:06:00.000Z', type: 'opened', by: 'cloudwatch' },
        { at: '2024-01-15T10:07:00.000Z', type: 'update', by: 'dashboard:dashboard (bob)', detail: 'both alarms: one cause' },
      ],
    });
    const model = buildReview(lead, defaultPolicy(), { members: [member, lead] });
    expect(model.members.map((m) => m.id)).toEqual(['INC-BBBBBBBB']);
    expect(model.timeline.map((e) => [e.at.slice(11, 16), e.alarm, e.who])).toEqual([
      ['10:05', 'HighErrorRate', 'CloudWatch'],
      ['10:06', 'HighResponseTime', 'CloudWatch'],
      ['10:07', 'HighResponseTime', 'bob (dashboard)'],
      ['10:09', 'HighErrorRate', 'alice (slack)'],
    ]);
    const md = renderReviewMarkdown(model);
    expect(md).toContain('## Member incidents');
    expect(md).toContain('| INC-BBBBBBBB | HighResponseTime | P1 | 2024-01-15 10:06:00 UTC | — |');
    expect(md).toContain('| time | alarm | who | what |');
  });
});
