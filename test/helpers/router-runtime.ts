import { buildRuntime, readConfig, type Runtime } from '@alert-router/aws';
import { localStore } from './local-dynamo';
import { startPagerDutyPeer, startSlackPeer, startSmtpPeer } from './peers';
import { ungroupedPolicy } from './policies';

/** A runtime wired to dynalite and to real Slack / PagerDuty / SMTP peers on loopback (grouping off unless `overrides.policy`). */
export async function routerWithPeers(
  envOrFn: Record<string, string> | ((peers: { slackUrl: string; pagerdutyUrl: string; smtpHost: string }) => Record<string, string>) = {},
  overrides: Partial<Runtime> = {},
) {
  const [local, slack, pagerduty, smtp] = await Promise.all([localStore(), startSlackPeer(), startPagerDutyPeer(), startSmtpPeer()]);
  const env = typeof envOrFn === 'function' ? envOrFn({ slackUrl: slack.url, pagerdutyUrl: pagerduty.url, smtpHost: new URL(smtp.url).host }) : envOrFn;
  const config = readConfig({
    ROUTER_TABLE: local.tableName,
    DYNAMODB_ENDPOINT: local.endpoint,
    SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/XXXX`,
    PAGERDUTY_ROUTING_KEY: 'R0UT1NGKEY0000000000000000000000',
    PAGERDUTY_EVENTS_URL: pagerduty.url,
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'router@example.com',
    EMAIL_TO: 'team@example.com',
    DELIVERY_BUDGET_MS: '3000',
    ...env,
  });
  const rt = buildRuntime(config, { db: local.db, store: local.store, policy: ungroupedPolicy(), ...overrides });
  return {
    rt,
    local,
    slack,
    pagerduty,
    smtp,
    close: async () => {
      await Promise.all([slack.close(), pagerduty.close(), smtp.close()]);
      await local.close();
    },
  };
}
