import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@alert-router/core';
import { liveChannels, readConfig, readEnv, secretRedactor } from '@alert-router/aws';
import { npmStartScript } from '../bench/lib/npm-start';

const base = { ROUTER_TABLE: 'incidents' };

describe('runtime configuration', () => {
  it('needs the table name and says so by name', () => {
    expect(() => readConfig({})).toThrow(new ConfigError('ROUTER_TABLE: expected the DynamoDB table name, got nothing'));
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

  it.each([
    [{ DELIVERY_BUDGET_MS: '-5' }, 'DELIVERY_BUDGET_MS: expected a positive integer (milliseconds), got "-5"'],
    [{ DELIVERY_LEASE_MS: '45s' }, 'DELIVERY_LEASE_MS: expected a positive integer (milliseconds), got "45s"'],
    [{ DASHBOARD_POLL_MS: '500' }, 'DASHBOARD_POLL_MS: expected an integer number of milliseconds of at least 1000, got "500"'],
    [{ DIGEST_TIME: '8am' }, 'DIGEST_TIME: expected HH:MM (24-hour), got "8am"'],
    [{ DIGEST_TIMEZONE: 'Mars/Olympus' }, 'DIGEST_TIMEZONE: expected an IANA time zone (e.g. Europe/Berlin, UTC), got "Mars/Olympus"'],
    [{ PAGERDUTY_EVENTS_URL: 'events.pagerduty.com' }, 'PAGERDUTY_EVENTS_URL: expected a URL, got "events.pagerduty.com"'],
    [{ POWERTOOLS_METRICS_DISABLED: 'yes please' }, 'POWERTOOLS_METRICS_DISABLED: expected true or false, got "yes please"'],
    [{ POWERTOOLS_LOG_LEVEL: 'LOUD' }, 'POWERTOOLS_LOG_LEVEL: expected one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got "LOUD"'],
    [{ PORT: '70000' }, 'PORT: expected a port number (0-65535), got "70000"'],
  ])('refuses %o naming the variable, what was expected and what was found', (env, message) => {
    expect(() => readConfig({ ...base, ...env })).toThrow(new ConfigError(message));
  });

  it('never shows a secret in its error', () => {
    const bad = 'not a url but a secret 7f3a9k2m';
    expect(() => readConfig({ ...base, SLACK_WEBHOOK_URL: bad })).toThrow(
      new ConfigError('SLACK_WEBHOOK_URL: expected a URL, got a value that is not one (not shown: it is a secret)'),
    );
    expect(() => readConfig({ ...base, SST_RESOURCE_SlackSigningSecret: '{oops' })).toThrow(
      /^SST_RESOURCE_SlackSigningSecret: expected the JSON SST links write/,
    );
  });

  it('reports every invalid variable at once, one per line', () => {
    expect(() => readConfig({ DELIVERY_BUDGET_MS: '0', DIGEST_TIME: '25:00' })).toThrow(
      new ConfigError(
        [
          'ROUTER_TABLE: expected the DynamoDB table name, got nothing',
          'DELIVERY_BUDGET_MS: expected a positive integer (milliseconds), got "0"',
          'DIGEST_TIME: expected HH:MM (24-hour), got "25:00"',
        ].join('\n'),
      ),
    );
  });

  it('fills the defaults the README documents', () => {
    expect(readEnv(base)).toMatchObject({
      DELIVERY_BUDGET_MS: 8000,
      DELIVERY_LEASE_MS: 45_000,
      DASHBOARD_POLL_MS: 15_000,
      DIGEST_TIME: { hour: 8, minute: 0 },
      POWERTOOLS_SERVICE_NAME: 'alert-router',
      POWERTOOLS_METRICS_NAMESPACE: 'AlertRouter',
      POWERTOOLS_METRICS_DISABLED: false,
      EMAIL_TO: [],
    });
    expect(
      readEnv({ DIGEST_TIME: '7:05', DASHBOARD_URL: 'https://ops.example.com/', POWERTOOLS_METRICS_DISABLED: 'TRUE' }, [
        'DIGEST_TIME',
        'DASHBOARD_URL',
        'POWERTOOLS_METRICS_DISABLED',
      ]),
    ).toEqual({
      DIGEST_TIME: { hour: 7, minute: 5 },
      DASHBOARD_URL: 'https://ops.example.com',
      POWERTOOLS_METRICS_DISABLED: true,
    });
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

  it('`npm start` stops at start on an invalid variable, naming it, before it listens', async () => {
    const proc = spawn(process.execPath, [npmStartScript(), '--port', '0'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, DIGEST_TIME: '8am', PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (c) => (out += c));
    proc.stderr.on('data', (c) => (out += c));
    const [code] = (await once(proc, 'close')) as [number | null]; // after its output is read
    expect(code).toBe(1);
    expect(out).toContain('alert-router: DIGEST_TIME: expected HH:MM (24-hour), got "8am"');
    expect(out).not.toContain('listening on');
  });
});
