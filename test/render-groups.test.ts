/** Renderers for grouped incidents and the `update` notice: Slack, email, PagerDuty, the local outbox. */
import { describe, expect, it } from 'vitest';
import {
  emailSubject,
  escapeSlack,
  groupSummary,
  PAGERDUTY_LIMITS,
  renderEmail,
  renderPagerDuty,
  renderSlack,
  renderSlackParent,
  type Notice,
  type PagerDutyTriggerEvent,
  type SlackMessage,
} from '@alert-router/core';
import { OutboxBuffer, OutboxNotifier } from '@alert-router/aws/notifiers/outbox';
import { makeIncident, makeNotice } from './helpers/incident-factory';
import { makeGroup, stormNames } from './helpers/group-factory';
import { slackViolations } from './helpers/slack-limits';

const FIVE = ['HighErrorRate', 'HighResponseTime', { name: 'Api5xx', recovered: true }, 'DBCpu', { name: 'QueueDepth', recovered: true }];

/** Every text a Slack message shows, joined (to look for what must or must not be there). */
function slackTexts(m: SlackMessage): string {
  return JSON.stringify([m.text, m.blocks, m.attachments]);
}

describe('groupSummary', () => {
  it('counts the members, names them in order and says how many recovered', () => {
    expect(groupSummary(makeGroup(FIVE))).toBe('5 alarms: HighErrorRate, HighResponseTime, Api5xx, DBCpu, QueueDepth — 2 recovered');
    expect(groupSummary(makeGroup(['A1', { name: 'B2', recovered: true }].map((n) => (typeof n === 'string' ? { name: n, recovered: true } : n))))).toBe(
      '2 alarms: A1, B2 — all recovered',
    );
  });

  it('is null for an ungrouped incident and a group of one', () => {
    expect(groupSummary(makeIncident())).toBeNull();
    expect(groupSummary(makeGroup(['Only']))).toBeNull();
  });

  it('stays within max, drops names whole and keeps the count and the recovered tail', () => {
    const g = makeGroup([...stormNames(60), { name: 'Last', recovered: true }]);
    for (const max of [40, 80, 200, 300]) {
      const s = groupSummary(g, { max }) ?? '';
      expect(s.length, s).toBeLessThanOrEqual(max);
      expect(s.startsWith('61 alarms: ')).toBe(true);
      expect(s.endsWith('… — 1 recovered')).toBe(true);
      for (const name of s.slice('61 alarms: '.length, s.indexOf(', …')).split(', ').filter(Boolean)) expect(name).toMatch(/^Alarm\d\d$/);
    }
  });

  it('escapes each name with the channel escape, never cutting an entity', () => {
    const g = makeGroup(['<!channel>', '<@U123>', '*bold* <http://evil.example|click>']);
    const s = groupSummary(g, { escape: escapeSlack, max: 60 }) ?? '';
    expect(s).not.toMatch(/[<>]/);
    expect(s).not.toMatch(/&(?![a-z]+;)/);
    expect(s.length).toBeLessThanOrEqual(60);
  });
});

describe('Slack: groups and update notices', () => {
  const group = makeGroup(FIVE);

  it('a group trigger shows the summary, its members and stays within the limits', () => {
    const m = renderSlack(makeNotice({ incident: group }));
    expect(slackViolations(m)).toEqual([]);
    expect(m.text).toContain('5 alarms: HighErrorRate, HighResponseTime');
    const texts = slackTexts(m);
    expect(texts).toContain('*Alarms:* 5 alarms:');
    expect(texts).toContain(':white_check_mark: Api5xx (P1, recovered');
    expect(texts).toContain(':red_circle: DBCpu (P1, firing since');
  });

  it('an ungrouped incident has no Alarms section', () => {
    expect(slackTexts(renderSlack(makeNotice()))).not.toContain('*Alarms:*');
  });

  it('with 50+ members: bounded list, every limit held, the rest counted', () => {
    const storm = makeGroup(stormNames(80, (n) => `Service${n}-${'X'.repeat(150)}`));
    for (const event of ['trigger', 'update', 'acknowledge', 'resolve', 'escalate'] as const) {
      const m = renderSlack(makeNotice({ event, incident: storm, note: 'joined: ' + stormNames(80).join(', '), tier: 'teamLead' }));
      expect(slackViolations(m), event).toEqual([]);
    }
    const texts = slackTexts(renderSlack(makeNotice({ incident: storm })));
    const listed = (texts.match(/:red_circle:/g) ?? []).length;
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(80);
    expect(texts).toContain(`…and ${80 - listed} more on the dashboard`);
    expect(slackViolations(renderSlackParent(makeNotice({ event: 'update', incident: storm })))).toEqual([]);
  });

  it('update (webhook): one follow-up listing what changed and the summary', () => {
    const m = renderSlack(makeNotice({ event: 'update', incident: group, note: 'joined: DBCpu, QueueDepth; recovered: Api5xx' }));
    expect(slackViolations(m)).toEqual([]);
    const texts = slackTexts(m);
    expect(texts).toContain('*Updated:* HighErrorRate');
    expect(texts).toContain('*Changes*\\njoined: DBCpu, QueueDepth; recovered: Api5xx');
    expect(texts).toContain('*Alarms:* 5 alarms:');
    expect(m.blocks).toEqual([]); // a follow-up, not a second full message
  });

  it('alarm names and the change note stay inert', () => {
    const evil = makeGroup(['<!channel>', '<@U123> *bold*', '<http://evil.example|click here>']);
    for (const event of ['trigger', 'update', 'acknowledge', 'resolve'] as const) {
      const texts = slackTexts(renderSlack(makeNotice({ event, incident: evil, note: 'joined: <!here> <@U999>' })));
      expect(texts, event).not.toMatch(/<!channel>|<!here>|<@U123>|<@U999>|<http:\/\/evil/);
      expect(texts, event).toContain('&lt;!channel&gt;');
    }
  });

  it('the parent (chat.update) reads the current status: acknowledged by @alice, resolved, escalated', () => {
    const ack = makeGroup(FIVE, { status: 'acknowledged', acknowledgedBy: 'slack:U024BE7LH (alice)', acknowledgedAt: '2024-01-15T10:42:00.000Z' });
    const a = renderSlackParent(makeNotice({ event: 'acknowledge', incident: ack }));
    expect(slackViolations(a)).toEqual([]);
    expect(a.text.startsWith(':eyes: *Acknowledged* by @alice at 2024-01-15 10:42 UTC')).toBe(true);
    expect(slackTexts(a)).toContain('5 alarms:');
    expect(a.blocks[0]?.type).toBe('header'); // the trigger layout, not a follow-up
    const buttonsOf = (m: SlackMessage) =>
      m.attachments.flatMap((x) => x.blocks).flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => e.action_id) : []));
    expect(buttonsOf(a)).toEqual(['incident_resolve']);

    const res = makeGroup(FIVE, { status: 'resolved', resolvedBy: 'cloudwatch', resolvedAt: '2024-01-15T11:00:00.000Z' });
    const r = renderSlackParent(makeNotice({ event: 'resolve', incident: res }));
    expect(r.text.startsWith(':white_check_mark: *Resolved*: all alarms recovered at 2024-01-15 11:00 UTC')).toBe(true);
    const byHand = renderSlackParent(makeNotice({ event: 'resolve', incident: { ...res, resolvedBy: 'dashboard:web (bob)' } }));
    expect(byHand.text.startsWith(':white_check_mark: *Resolved* by bob (dashboard) at 2024-01-15 11:00 UTC')).toBe(true);
    expect(buttonsOf(r)).toEqual([]);

    const e = renderSlackParent(makeNotice({ event: 'escalate', incident: group, tier: 'teamLead' }));
    expect(e.text).toMatch(/^:arrow_double_up: \*Escalated\* to .*\(teamLead\)/);
    const open = renderSlackParent(makeNotice({ event: 'update', incident: group }));
    expect(open.text).toBe(renderSlack(makeNotice({ incident: group })).text);
    // Once a step ran, later edits keep saying so.
    const chain = [
      { notify: ['slack' as const], tier: 'onCall', repeat: 1, afterMinutes: 5 },
      { notify: ['slack' as const], tier: 'teamLead', repeat: 1, afterMinutes: 15 },
    ];
    const escalated = { ...group, escalation: { step: 1, count: 0, nextAt: '2024-01-15T10:30:00.000Z', chain } };
    expect(renderSlackParent(makeNotice({ event: 'update', incident: escalated })).text).toMatch(/^:arrow_double_up: \*Escalated\* to .*\(onCall\) — /);
    const again = { ...escalated, escalation: { ...escalated.escalation, count: 1 } };
    expect(renderSlackParent(makeNotice({ event: 'update', incident: again })).text).toMatch(/^:arrow_double_up: \*Escalated\* to .*\(teamLead\) — /);
  });

  it('a mention-like actor name is inert in the status line', () => {
    const ack = makeIncident({ status: 'acknowledged', acknowledgedBy: 'slack:U1 (<!channel>)', acknowledgedAt: '2024-01-15T10:42:00.000Z' });
    expect(renderSlackParent(makeNotice({ event: 'acknowledge', incident: ack })).text).toContain('@&lt;!channel&gt;');
  });
});

describe('email: groups and the batch update', () => {
  const group = makeGroup(FIVE, { severity: 'P1' });

  it('update: one batch email, subject names the member count, the incident and the first alarm', () => {
    const n = makeNotice({ event: 'update', incident: group, note: 'joined: DBCpu, QueueDepth; recovered: Api5xx' });
    expect(emailSubject(n)).toBe('[P1] UPDATED: 5 alarms in INC-7F3A9K2M HighErrorRate');
    const e = renderEmail(n);
    expect(e.text).toContain('The group changed: 5 alarms: HighErrorRate, HighResponseTime, Api5xx, DBCpu, QueueDepth — 2 recovered.');
    expect(e.text).toContain('Changes:\njoined: DBCpu, QueueDepth; recovered: Api5xx');
    expect(e.text).toContain('Alarms in this incident:');
    expect(e.text).toMatch(/- Api5xx \(P1\): recovered 2024-01-15 10:20 UTC/);
    expect(e.html).toContain('Alarms in this incident');
  });

  it('trigger and resolve of a group carry the summary; the HTML part escapes member names', () => {
    const evil = makeGroup(['First', '<img src=x onerror=alert(1)>'], { severity: 'P1' });
    for (const event of ['trigger', 'resolve'] as const) {
      const e = renderEmail(makeNotice({ event, incident: evil }));
      expect(e.text, event).toContain('2 alarms: First, <img src=x onerror=alert(1)>');
      expect(e.html, event).not.toContain('<img');
      expect(e.html, event).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
  });

  it('a storm of 300 members lists 100 and counts the rest; headers stay one line', () => {
    const storm = makeGroup(stormNames(300, (n) => `A${n}\r\nBcc: x@example.com`));
    const e = renderEmail(makeNotice({ event: 'update', incident: storm }));
    expect(e.subject).not.toMatch(/[\r\n]/);
    expect(e.text).toContain('…and 200 more on the dashboard');
  });
});

describe('PagerDuty: groups', () => {
  it('a group trigger: summary names the member count; custom_details lists members, bounded', () => {
    const storm = makeGroup(stormNames(80, (n) => `Alarm${n}${'y'.repeat(400)}`));
    const ev = renderPagerDuty(makeNotice({ incident: storm }), 'KEY') as PagerDutyTriggerEvent;
    expect(ev.payload.summary).toMatch(/^\[P0\] ALARM: Alarm0y{200,}… \(INC-7F3A9K2M\) - 80 alarms: Alarm0y+…, /);
    expect(ev.payload.summary.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.summary);
    const d = ev.payload.custom_details as { members_total: number; members: { alarm_name: string; state: string }[] };
    expect(d.members_total).toBe(80);
    expect(d.members).toHaveLength(50);
    for (const m of d.members) expect(m.alarm_name.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.field);
    expect(JSON.stringify(ev).length).toBeLessThan(512 * 1024);
  });

  it('an update, should one ever come, is the trigger with the same dedup_key', () => {
    const g = makeGroup(FIVE);
    const trigger = renderPagerDuty(makeNotice({ incident: g }), 'KEY');
    const update = renderPagerDuty(makeNotice({ event: 'update', incident: g }), 'KEY');
    expect(update).toEqual(trigger);
    expect(update.event_action).toBe('trigger');
  });

  it('an ungrouped incident has no member details', () => {
    const ev = renderPagerDuty(makeNotice(), 'KEY') as PagerDutyTriggerEvent;
    expect(ev.payload.custom_details.members).toBeUndefined();
  });
});

describe('local outbox', () => {
  it('an update line says what changed and the summary; a group trigger its summary', async () => {
    const buffer = new OutboxBuffer();
    const lines: string[] = [];
    const outbox = new OutboxNotifier({ channel: 'slack', buffer, print: (l) => lines.push(l) });
    const g = makeGroup(FIVE);
    const send = (n: Notice) => outbox.send(n, new AbortController().signal);
    await send(makeNotice({ incident: g }));
    await send(makeNotice({ event: 'update', incident: g, note: 'joined: DBCpu' }));
    const [trigger, update] = buffer.toArray();
    expect(trigger.summary).toContain('- 5 alarms: HighErrorRate');
    expect(update.event).toBe('update');
    expect(update.summary).toMatch(/^\[P0\] UPDATED: HighErrorRate \(INC-7F3A9K2M\) - joined: DBCpu — 5 alarms:/);
    expect(lines).toHaveLength(2);
  });
});
