import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  cloudWatchAlarmUrl,
  codePointLength,
  defaultPolicy,
  emailSubject,
  escapeHtml,
  escapeSlack,
  headerSafe,
  noticeLinks,
  pagerDutyDedupKey,
  renderEmail,
  renderPagerDuty,
  renderSlack,
  runbookUrl,
  truncate,
  truncateEscaped,
  truncateUnits,
  type PagerDutyTriggerEvent,
  type Policy,
  type Severity,
  type SlackMessage,
} from '@alert-router/core';
import { acknowledged, ALARM_ARN, makeIncident, makeNotice, resolved } from './helpers/incident-factory';
import { LONE_SURROGATE, slackViolations } from './helpers/slack-limits';

function buttons(m: SlackMessage) {
  return [...m.blocks, ...m.attachments.flatMap((a) => a.blocks)].flatMap((b) => (b.type === 'actions' ? b.elements : []));
}

describe('escaping', () => {
  it('Slack: control characters become entities, so mentions and links are inert', () => {
    const out = escapeSlack('<!channel> hi <@U1> see <http://evil.example|click> & <#C1>');
    expect(out).toBe('&lt;!channel&gt; hi &lt;@U1&gt; see &lt;http://evil.example|click&gt; &amp; &lt;#C1&gt;');
    expect(out).not.toMatch(/[<>]/);
  });

  it('HTML: & < > " \' are escaped', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  });

  it('header values lose CR, LF and every other control character (line breaks become spaces, the rest visible escapes)', () => {
    expect(headerSafe('Alarm\r\nBcc: victim@example.com')).toBe('Alarm Bcc: victim@example.com');
    expect(headerSafe('a\u0000b\u001b[31mc\u0085d\u2028e\tf\u007f')).toBe('a\\u0000b\\u001B[31mc d e f\\u007F');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const h = headerSafe(s);
        // eslint-disable-next-line no-control-regex
        return !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(h);
      }),
    );
  });

  it('truncate counts code points, adds an ellipsis, never splits a surrogate pair', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
    expect(truncate('abcdefg', 6)).toBe('abcde…');
    expect(truncate('a😀b😀c😀', 4)).toBe('a😀b…');
    expect(truncate('😀😀😀😀😀', 3)).toBe('😀😀…');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 1, max: 40 }), (s, max) => {
        const t = truncate(s, max);
        return codePointLength(t) <= max && !LONE_SURROGATE.test(t) && (t === s || t.endsWith('…'));
      }),
    );
  });

  it('truncateUnits bounds UTF-16 length without leaving half a pair', () => {
    expect(truncateUnits('ab😀cd', 4)).toBe('ab…'); // cutting after "ab\ud83d" would split the pair
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 1, max: 40 }), (s, max) => {
        const t = truncateUnits(s, max);
        return t.length <= max && !LONE_SURROGATE.test(t);
      }),
    );
  });

  it('truncateEscaped never cuts an entity in half', () => {
    const escaped = escapeSlack('ab<<<<');
    for (let max = 2; max < escaped.length; max++) {
      const t = truncateEscaped(escaped, max);
      expect(t.length).toBeLessThanOrEqual(max);
      expect(t.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
    }
  });
});

describe('links', () => {
  it('CloudWatch console URL of the alarm, encoded; null without a region', () => {
    expect(cloudWatchAlarmUrl('eu-west-1', 'HighErrorRate')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/HighErrorRate',
    );
    expect(cloudWatchAlarmUrl('us-east-1', 'a b/c#d')).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/a%20b%2Fc%23d',
    );
    expect(cloudWatchAlarmUrl('cn-north-1', 'x')).toMatch(/^https:\/\/cn-north-1\.console\.amazonaws\.cn\//);
    expect(cloudWatchAlarmUrl(null, 'x')).toBeNull();
    expect(cloudWatchAlarmUrl('evil.com/x?', 'x')).toBeNull();
  });

  it('runbook URL is policy.runbookUrl#anchor of the incident runbook (default when unknown or unset)', () => {
    const policy = defaultPolicy();
    expect(runbookUrl(makeIncident({ runbook: 'high-error-rate' }), policy)).toBe('https://github.com/your-org/ops/blob/main/runbook.md#high-error-rate');
    expect(runbookUrl(makeIncident({ runbook: null }), policy)).toBe('https://github.com/your-org/ops/blob/main/runbook.md#2-initial-assessment-5-15-minutes');
    expect(runbookUrl(makeIncident({ runbook: 'no-such' }), policy)).toContain('#2-initial-assessment');
    const noUrl: Policy = { ...policy, runbookUrl: undefined };
    expect(runbookUrl(makeIncident(), noUrl)).toBeNull();
    const links = noticeLinks(makeIncident(), policy, { dashboardUrl: 'https://alerts.example.com/' });
    expect(links.dashboard).toBe('https://alerts.example.com/incidents/INC-7F3A9K2M');
    expect(noticeLinks(makeIncident({ alarm: { region: null } }), policy).console).toBeNull();
  });
});

describe('Slack message', () => {
  it('trigger: header, facts, runbook, links, and Acknowledge/Resolve buttons', () => {
    const m = renderSlack(makeNotice());
    expect(slackViolations(m)).toEqual([]);
    const header = m.blocks[0];
    expect(header.type).toBe('header');
    expect(header.type === 'header' && header.text.text).toBe(':rotating_light: P0 Critical: HighErrorRate');
    expect(m.attachments[0].color).toBe('#D32F2F');
    const json = JSON.stringify(m);
    for (const s of [
      'INC-7F3A9K2M',
      'OK → ALARM',
      'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
      'Sum &gt; 10 (2 periods of 5 min)',
      'eu-west-1 (account 123456789012)',
      'LoadBalancer=app/qenergyz-production-alb/50dc6c495c0c9188',
      'Runbook: High Error Rate',
      'Check application logs',
      'Threshold Crossed',
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/HighErrorRate|CloudWatch alarm',
      'runbook.md#high-error-rate|Runbook',
      'https://alerts.example.com/incidents/INC-7F3A9K2M|Dashboard',
    ]) {
      expect(json).toContain(s);
    }
    const b = buttons(m);
    expect(b.map((x) => [x.action_id, x.value, x.text.text])).toEqual([
      ['incident_ack', 'INC-7F3A9K2M', 'Acknowledge'],
      ['incident_resolve', 'INC-7F3A9K2M', 'Resolve'],
    ]);
    expect(m.text).toContain('[P0] ALARM: HighErrorRate (INC-7F3A9K2M)');
  });

  it.each<[Severity, string, string]>([
    ['P0', ':rotating_light:', '#D32F2F'],
    ['P1', ':large_orange_circle:', '#F57C00'],
    ['P2', ':large_yellow_circle:', '#FBC02D'],
    ['P3', ':large_blue_circle:', '#1976D2'],
  ])('%s uses %s and colour %s', (severity, emoji, color) => {
    const m = renderSlack(makeNotice({ incident: makeIncident({ severity }) }));
    const header = m.blocks[0];
    expect(header.type === 'header' && header.text.text.startsWith(emoji)).toBe(true);
    expect(m.attachments[0].color).toBe(color);
  });

  it('alarm-controlled text never survives as a mention or a link', () => {
    const incident = makeIncident({
      alarmName: '<!channel> <@U1> HighErrorRate',
      alarm: {
        description: '<!here> wake up <!subteam^S123>',
        reason: 'see <http://evil.example|the dashboard> & <@U2>',
        dimensions: { '<@U3>': '<!everyone>' },
      },
    });
    const m = renderSlack(makeNotice({ incident }));
    const json = JSON.stringify(m);
    for (const bad of ['<!channel>', '<@U1>', '<!here>', '<!subteam^S123>', '<http://evil.example', '<@U2>', '<@U3>', '<!everyone>']) {
      expect(json).not.toContain(bad);
    }
    expect(json).toContain('&lt;!channel&gt;');
    expect(json).toContain('&lt;http://evil.example|the dashboard&gt;');
    // mrkdwn objects are verbatim: Slack does not auto-link URLs in alarm text
    const sections = m.attachments[0].blocks.filter((b) => b.type === 'section');
    for (const s of sections) if (s.type === 'section' && s.text) expect(s.text.verbatim).toBe(true);
    expect(slackViolations(m)).toEqual([]);
  });

  it('10,000-character alarm texts still give a message within every Slack limit', () => {
    const long = 'x<&>😀'.repeat(2000); // 10,000 code units, with entities and surrogate pairs
    const dims = Object.fromEntries(Array.from({ length: 100 }, (_, k) => [`Dim${k}`, long]));
    const incident = makeIncident({
      id: `INC-${'Z'.repeat(3000)}`,
      alarmName: long,
      alarm: {
        description: long,
        reason: long,
        dimensions: dims,
        expression: long,
        triggeringChildren: Array.from({ length: 30 }, () => ({ arn: long, state: 'ALARM', at: null })),
      },
    });
    for (const event of ['trigger', 'escalate', 'acknowledge', 'resolve'] as const) {
      const inc = event === 'resolve' ? resolved(incident) : event === 'acknowledge' ? acknowledged(incident) : incident;
      const m = renderSlack(makeNotice({ event, incident: inc, tier: 'teamLead', note: long, actor: long }));
      expect(slackViolations(m), event).toEqual([]);
      expect(JSON.stringify(m).length).toBeLessThan(60_000);
    }
  });

  it('escalation names the tier and mentions its Slack contact (policy text, deliberately)', () => {
    const base = defaultPolicy();
    const policy: Policy = { ...base, contacts: { ...base.contacts, teamLead: { name: 'Team lead', slack: 'U0123ABCD' } } };
    const incident = makeIncident({ updatedAt: '2024-01-15T10:10:03.000Z' });
    const m = renderSlack(makeNotice({ event: 'escalate', incident, tier: 'teamLead', policy }));
    const json = JSON.stringify(m);
    expect(json).toContain('Escalated to* Team lead (teamLead) <@U0123ABCD>');
    expect(json).toContain('Unacknowledged for 5 min');
    expect(m.blocks[0].type === 'header' && m.blocks[0].text.text).toContain('Escalated');
    expect(buttons(m).map((b) => b.action_id)).toEqual(['incident_ack', 'incident_resolve']);
  });

  it('an acknowledged incident offers only Resolve', () => {
    const m = renderSlack(makeNotice({ event: 'escalate', incident: acknowledged(makeIncident()), tier: 'cto' }));
    expect(buttons(m).map((b) => b.action_id)).toEqual(['incident_resolve']);
  });

  it('resolve and acknowledge notices are short follow-ups with who and when', () => {
    const r = renderSlack(makeNotice({ event: 'resolve', incident: resolved(makeIncident(), 'slack:U024BE7LH (alice)') }));
    expect(r.text).toContain('*Resolved:* HighErrorRate (INC-7F3A9K2M, P0) by slack:U024BE7LH (alice) at 2024-01-15 10:19 UTC — open for 14 min');
    expect(r.blocks).toEqual([]);
    expect(r.attachments[0].blocks.length).toBeLessThanOrEqual(4);
    expect(buttons(r)).toEqual([]);
    expect(slackViolations(r)).toEqual([]);

    const a = renderSlack(makeNotice({ event: 'acknowledge', incident: acknowledged(makeIncident()) }));
    expect(a.text).toContain('*Acknowledged:* HighErrorRate (INC-7F3A9K2M, P0) by slack:U024BE7LH (alice) at 2024-01-15 10:08 UTC');
    expect(buttons(a).map((b) => b.action_id)).toEqual(['incident_resolve']);
  });
});

describe('email', () => {
  it('subject is [P0] ALARM: name (id); resolve says RESOLVED', () => {
    expect(emailSubject(makeNotice())).toBe('[P0] ALARM: HighErrorRate (INC-7F3A9K2M)');
    expect(emailSubject(makeNotice({ event: 'resolve', incident: resolved(makeIncident()) }))).toBe('[P0] RESOLVED: HighErrorRate (INC-7F3A9K2M)');
    expect(emailSubject(makeNotice({ incident: makeIncident({ severity: 'P2', alarm: { state: null, rawState: null, kind: 'message' } }) }))).toBe(
      '[P2] ALERT: HighErrorRate (INC-7F3A9K2M)',
    );
  });

  it('subject cannot inject headers and stays within 250 characters', () => {
    const s = emailSubject(makeNotice({ incident: makeIncident({ alarmName: 'HighErrorRate\r\nBcc: attacker@example.com\n\nbody' }) }));
    expect(s).not.toMatch(/[\r\n]/);
    expect(s).toBe('[P0] ALARM: HighErrorRate Bcc: attacker@example.com body (INC-7F3A9K2M)');
    const long = emailSubject(makeNotice({ incident: makeIncident({ alarmName: '😀x'.repeat(5000) }) }));
    expect(long.length).toBeLessThanOrEqual(250);
    expect(long).toMatch(/… \(INC-7F3A9K2M\)$/);
    expect(LONE_SURROGATE.test(long)).toBe(false);
  });

  it('HTML is fully escaped; text and HTML carry reason, metric, dimensions, runbook and links', () => {
    const incident = makeIncident({
      alarmName: '<script>alert(1)</script>',
      alarm: { description: '<img src=x onerror=alert(2)>', reason: 'reason "quoted" & <b>bold</b>', dimensions: { "Svc'<": 'a&b' } },
    });
    const { html, text } = renderEmail(makeNotice({ incident }));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>bold');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('reason &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(html).toContain('Svc&#39;&lt;=a&amp;b');
    for (const part of [text, html]) {
      expect(part).toContain('AWS/ApplicationELB HTTPCode_Target_5XX_Count');
      expect(part).toContain('INC-7F3A9K2M');
      expect(part).toContain('Runbook: High Error Rate');
      expect(part).toContain('Check external dependencies');
      expect(part).toContain('https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/%3Cscript%3Ealert(1)%3C%2Fscript%3E');
      expect(part).toContain('https://github.com/your-org/ops/blob/main/runbook.md#high-error-rate');
    }
    expect(text).toContain('Sum > 10 (2 periods of 5 min)');
    expect(html).toContain('Sum &gt; 10 (2 periods of 5 min)');
    expect(text).toContain('reason "quoted" & <b>bold</b>');
  });

  it('only http(s) links become anchors', () => {
    const n = makeNotice();
    const { html } = renderEmail({
      ...n,
      links: { console: 'javascript:alert(1)', runbook: null, dashboard: 'https://alerts.example.com/incidents/INC-7F3A9K2M' },
    });
    expect(html).not.toContain('javascript:');
    expect(html).toContain('<a href="https://alerts.example.com/incidents/INC-7F3A9K2M">Dashboard</a>');
  });
});

describe('PagerDuty event', () => {
  it.each<[Severity, string]>([
    ['P0', 'critical'],
    ['P1', 'error'],
    ['P2', 'warning'],
    ['P3', 'info'],
  ])('%s maps to %s', (severity, pd) => {
    const e = renderPagerDuty(makeNotice({ incident: makeIncident({ severity }) }), 'R0UTINGKEY') as PagerDutyTriggerEvent;
    expect(e.payload.severity).toBe(pd);
  });

  it('trigger body follows Events API v2', () => {
    const e = renderPagerDuty(makeNotice(), 'R0UTINGKEY') as PagerDutyTriggerEvent;
    expect(e).toMatchObject({
      routing_key: 'R0UTINGKEY',
      event_action: 'trigger',
      dedup_key: `${ALARM_ARN}#INC-7F3A9K2M`,
      client: 'alert-router',
      client_url: 'https://alerts.example.com/incidents/INC-7F3A9K2M',
      payload: {
        source: ALARM_ARN,
        severity: 'critical',
        timestamp: '2024-01-15T10:05:00.000Z',
        component: 'app/qenergyz-production-alb/50dc6c495c0c9188',
        group: 'AWS/ApplicationELB',
        class: 'HTTPCode_Target_5XX_Count',
      },
    });
    expect(e.payload.summary).toMatch(/^\[P0\] ALARM: HighErrorRate \(INC-7F3A9K2M\) - Threshold Crossed/);
    expect(e.payload.custom_details).toMatchObject({ incident_id: 'INC-7F3A9K2M', state: 'OK → ALARM', runbook: { title: 'High Error Rate' } });
    expect(e.links?.map((l) => l.text)).toEqual(['CloudWatch alarm', 'Runbook: High Error Rate', 'Alert router dashboard']);
  });

  it('long alarm texts: summary ≤ 1024, source ≤ 255, custom_details present; long keys hash to sha256', () => {
    const long = 'y'.repeat(10_000);
    const key = `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${long}`;
    const incident = makeIncident({ incidentKey: key, alarmName: long, alarm: { alarmArn: key, reason: long, description: long } });
    const e = renderPagerDuty(makeNotice({ incident }), 'K') as PagerDutyTriggerEvent;
    expect(e.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(e.payload.source.length).toBeLessThanOrEqual(255);
    expect(e.dedup_key).toMatch(/^[0-9a-f]{64}$/);
    expect(e.dedup_key).toBe(pagerDutyDedupKey(incident));
    expect(pagerDutyDedupKey({ ...incident, id: 'INC-OTHER' })).not.toBe(e.dedup_key);
    expect((e.payload.custom_details.reason as string).length).toBeLessThanOrEqual(4000);
    expect(e.payload.custom_details.alarm_name).toBeTruthy();
    expect(JSON.stringify(e).length).toBeLessThan(512 * 1024);
  });

  it('acknowledge and resolve carry only routing_key, dedup_key, event_action', () => {
    for (const event of ['acknowledge', 'resolve'] as const) {
      const e = renderPagerDuty(makeNotice({ event, incident: resolved(makeIncident()) }), 'K');
      expect(e).toEqual({ routing_key: 'K', dedup_key: `${ALARM_ARN}#INC-7F3A9K2M`, event_action: event });
    }
  });
});
