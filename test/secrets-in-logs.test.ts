import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleSnsEvent, logger, secretValues, type Runtime } from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { snsEventFromHttp } from '../packages/local/src/lambda-events';
import { routerWithPeers } from './helpers/router-runtime';

const SLACK_SECRET_PATH = '/services/T0SECRET/B0SECRET/sl4ckS3cr3tT0k3nXYZ';
const ROUTING_KEY = 'PDR0UT1NGK3Y5ECRET00000000000000';
const SMTP_PASSWORD = 'smtpP4ssw0rdSecret';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DASHBOARD_TOKEN = 'dashb0ardT0kenSecretValue123456';

/** Captures everything written to stdout/stderr (where Powertools' logger writes) while `fn` runs. */
async function capture(fn: () => Promise<unknown>): Promise<string> {
  const out: string[] = [];
  const write = (chunks: string[]) => (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = write(out) as typeof process.stdout.write;
  process.stderr.write = write(out) as typeof process.stderr.write;
  try {
    await fn().catch((err: Error) => out.push(`thrown: ${err.name}: ${err.message}\n${err.stack ?? ''}`));
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
  return out.join('');
}

describe('secrets never reach a log line or an error', () => {
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  let rt: Runtime;
  beforeEach(async () => {
    env = await routerWithPeers(({ slackUrl, smtpHost }) => ({
      SLACK_WEBHOOK_URL: `${slackUrl}${SLACK_SECRET_PATH}`,
      PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
      SMTP_URL: `smtp://router:${SMTP_PASSWORD}@${smtpHost}`,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      DASHBOARD_TOKEN,
    }));
    rt = env.rt;
    logger.setLogLevel('DEBUG');
  });
  afterEach(async () => {
    logger.setLogLevel('SILENT');
    await env.close();
  });

  it('configured secrets are exactly the five values', () => {
    expect(secretValues(rt.config).map((s) => s.includes(SLACK_SECRET_PATH) || s.includes(SMTP_PASSWORD) || [ROUTING_KEY, SIGNING_SECRET, DASHBOARD_TOKEN].includes(s))).toEqual([true, true, true, true, true]);
  });

  it('failing deliveries on every channel, unreachable peers and junk log no secret', async () => {
    env.slack.fallback = { status: 500, body: `error for ${SLACK_SECRET_PATH}?` };
    env.pagerduty.fallback = { status: 400, body: JSON.stringify({ status: 'invalid event', errors: ['bad routing key'] }) };
    env.smtp.script.push(550, 550, 550);
    const text = await capture(async () => {
      await handleSnsEvent(snsEventFromHttp(snsNotification(RUNBOOK_ALARMS[0], 'ALARM', new Date())), rt).catch((e: Error) => logger.error('invocation failed', e));
      await handleSnsEvent(snsEventFromHttp(snsNotification(RUNBOOK_ALARMS[1], 'ALARM', new Date())), rt).catch((e: Error) => logger.error('invocation failed', e));
      await handleSnsEvent({ Records: [{ Sns: { nope: true } }] }, rt);
      await env.slack.close();
      await env.smtp.close();
      await handleSnsEvent(snsEventFromHttp(snsNotification({ ...RUNBOOK_ALARMS[1], name: 'Unreachable' }, 'ALARM', new Date())), rt).catch((e: Error) => logger.error('invocation failed', e));
    });
    expect(text).toContain('delivery failed'); // the capture saw the logs
    for (const secret of [SLACK_SECRET_PATH, 'sl4ckS3cr3tT0k3nXYZ', ROUTING_KEY, SMTP_PASSWORD, SIGNING_SECRET, DASHBOARD_TOKEN]) {
      expect(text, `log output contains ${secret}`).not.toContain(secret);
      expect(text).not.toContain(encodeURIComponent(secret));
    }
    const stored = JSON.stringify(await rt.store.listUnresolved());
    for (const secret of [SLACK_SECRET_PATH, ROUTING_KEY, SMTP_PASSWORD]) expect(stored, `stored incident contains ${secret}`).not.toContain(secret);
  });
});
