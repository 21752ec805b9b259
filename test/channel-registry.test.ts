/**
 * The channel registry: core's channel facts (packages/core/src/channels.ts) and the adapters that make each
 * channel's notifier (packages/aws/src/notifiers/registry.ts) name the same channels, and every place that used to
 * list channels (policy validation, createNotifiers, liveChannels, secretValues, Slack's texts) reads them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHANNEL_REGISTRY, CHANNELS, channelLabel, DEFAULT_POLICY_PATH, isSendChannel, parsePolicyYaml, SEND_CHANNELS } from '@alert-router/core';
import { createNotifiers, liveChannels, NOTIFIER_REGISTRY, OutboxBuffer, OutboxNotifier, readConfig, secretValues } from '@alert-router/aws';
import { deliveryWarning } from '../packages/aws/src/slack/replies';
import { makeIncident } from './helpers/incident-factory';

const SHIPPED = readFileSync(DEFAULT_POLICY_PATH, 'utf8');
const configured = {
  pagerdutyRoutingKey: 'R0UT1NGKEY000001',
  slackWebhookUrl: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX',
  smtpUrl: 'smtp://user:pa55word@127.0.0.1:2525',
  emailFrom: 'router@example.com',
  emailTo: ['oncall@example.com'],
};

describe('the channel registry', () => {
  it('core names every channel once; the sending ones (not the dashboard) each have exactly one adapter, in the same order', () => {
    expect(CHANNELS).toEqual(Object.keys(CHANNEL_REGISTRY));
    expect(SEND_CHANNELS).toEqual(CHANNELS.filter((c) => CHANNEL_REGISTRY[c].sends));
    expect(SEND_CHANNELS).not.toContain('dashboard');
    expect(NOTIFIER_REGISTRY.map((c) => c.name)).toEqual(SEND_CHANNELS);
    expect(NOTIFIER_REGISTRY.filter((c) => c.pages).map((c) => c.name)).toEqual(['pagerduty']);
    for (const c of NOTIFIER_REGISTRY) expect(Object.keys(c.limits).length, c.name).toBeGreaterThan(0);
  });

  it('isSendChannel and channelLabel read it (an unknown name is not a channel and is shown as it is)', () => {
    expect(SEND_CHANNELS.every(isSendChannel)).toBe(true);
    expect(['dashboard', 'teams', 'constructor', '__proto__'].some(isSendChannel)).toBe(false);
    expect(channelLabel('pagerduty')).toBe('PagerDuty');
    expect(channelLabel('teams')).toBe('teams');
  });

  it('createNotifiers makes one notifier per registered channel: real when configured, the outbox otherwise', () => {
    const outbox = new OutboxBuffer();
    const none = createNotifiers({}, { outbox, print: () => undefined });
    expect(Object.keys(none)).toEqual(SEND_CHANNELS);
    for (const c of SEND_CHANNELS) {
      expect(none[c]).toBeInstanceOf(OutboxNotifier);
      expect(none[c].channel).toBe(c);
    }
    const all = createNotifiers(configured, { outbox, print: () => undefined });
    for (const c of SEND_CHANNELS) {
      expect(all[c]).not.toBeInstanceOf(OutboxNotifier);
      expect(all[c].channel).toBe(c);
    }
  });

  it('liveChannels and secretValues come from the same adapters', () => {
    const env = {
      ROUTER_TABLE: 't',
      PAGERDUTY_ROUTING_KEY: configured.pagerdutyRoutingKey,
      SLACK_WEBHOOK_URL: configured.slackWebhookUrl,
      SES_REGION: 'eu-west-1',
      EMAIL_FROM: configured.emailFrom,
      EMAIL_TO: 'oncall@example.com',
    };
    const c = readConfig(env);
    expect(liveChannels(c)).toEqual(Object.fromEntries(SEND_CHANNELS.map((ch) => [ch, true])));
    expect(liveChannels(readConfig({ ROUTER_TABLE: 't' }))).toEqual(Object.fromEntries(SEND_CHANNELS.map((ch) => [ch, false])));
    expect(secretValues(c)).toEqual(expect.arrayContaining([configured.pagerdutyRoutingKey, configured.slackWebhookUrl]));
    expect(secretValues(readConfig({ ...env, SMTP_URL: configured.smtpUrl }))).toContain(configured.smtpUrl);
  });

  it('the policy file accepts only registered channels, and escalation steps only channels that send', () => {
    expect(() => parsePolicyYaml(SHIPPED.replace('channels: [pagerduty, slack, dashboard]', 'channels: [teams, dashboard]'), 'p.yaml')).toThrow(
      /p\.yaml: severities\.P0\.channels\[0\]: .*"pagerduty"\|"slack"\|"email"\|"dashboard"/,
    );
    expect(() => parsePolicyYaml(SHIPPED.replace('{ notify: [pagerduty, slack], tier: onCall }', '{ notify: [dashboard], tier: onCall }'), 'p.yaml')).toThrow(
      /p\.yaml: severities\.P0\.escalation\[0\]\.notify\[0\]: .*"pagerduty"\|"slack"\|"email"/,
    );
  });

  it("Slack's delivery warning names a channel by its registered label", () => {
    const i = makeIncident({ deliveries: { 'acknowledge:pagerduty': { status: 'failed', attempts: 1, at: '2026-11-20T10:00:00.000Z', error: 'x' } } });
    expect(deliveryWarning(i, 'acknowledge')).toContain('PagerDuty did not confirm in time');
  });
});
