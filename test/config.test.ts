import { describe, expect, it } from 'vitest';
import { ConfigError } from '@alert-router/core';
import { liveChannels, readConfig, secretRedactor } from '@alert-router/aws';

const base = { ROUTER_TABLE: 'incidents' };

describe('runtime configuration', () => {
  it('needs the table name and says so by name', () => {
    expect(() => readConfig({})).toThrow(new ConfigError('ROUTER_TABLE: required (the DynamoDB table name)'));
  });

  it('reads plain variables first, then the SST link shape; "unset" turns a channel off', () => {
    const c = readConfig({
      ...base,
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
      SST_RESOURCE_PagerDutyRoutingKey: JSON.stringify({ value: 'R0UT1NG' }),
      SST_RESOURCE_SmtpUrl: JSON.stringify({ value: 'unset' }),
      EMAIL_FROM: 'a@example.com',
      EMAIL_TO: ' team@example.com , lead@example.com ,',
    });
    expect(c.slackWebhookUrl).toBe('https://hooks.slack.com/services/T/B/X');
    expect(c.pagerdutyRoutingKey).toBe('R0UT1NG');
    expect(c.smtpUrl).toBeNull();
    expect(c.emailTo).toEqual(['team@example.com', 'lead@example.com']);
    expect(liveChannels(c)).toEqual({ pagerduty: true, slack: true, email: false });
  });

  it('refuses malformed values with the variable name', () => {
    expect(() => readConfig({ ...base, SLACK_WEBHOOK_URL: 'not a url' })).toThrow(/^SLACK_WEBHOOK_URL: not a URL$/);
    expect(() => readConfig({ ...base, DELIVERY_BUDGET_MS: '-5' })).toThrow(/^DELIVERY_BUDGET_MS: expected a positive integer/);
    expect(() => readConfig({ ...base, SST_RESOURCE_SlackSigningSecret: '{oops' })).toThrow(/^SST_RESOURCE_SlackSigningSecret: /);
  });

  it('email goes live with SES as well as SMTP', () => {
    const c = readConfig({ ...base, SES_REGION: 'eu-west-1', EMAIL_FROM: 'a@example.com', EMAIL_TO: 'b@example.com' });
    expect(liveChannels(c).email).toBe(true);
  });

  it('the redactor removes secrets and their secret parts from peer answers', () => {
    const c = readConfig({
      ...base,
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/abcdefSECRET',
      SMTP_URL: 'smtp://user:p%40ssw0rdXYZ@mail.example.com:587',
      PAGERDUTY_ROUTING_KEY: 'ROUTINGKEY123',
    });
    const redact = secretRedactor(c);
    expect(redact('HTTP 404 for /services/T000/B000/abcdefSECRET')).toBe('HTTP 404 for [redacted]');
    expect(redact('auth failed for p@ssw0rdXYZ')).toBe('auth failed for [redacted]');
    expect(redact('bad key ROUTINGKEY123')).toBe('bad key [redacted]');
    expect(redact('nothing secret here')).toBe('nothing secret here');
  });
});
