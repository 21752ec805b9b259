import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handleSnsEvent, logger, secretValues, setRuntime, signSlackRequest, type Runtime } from '@alert-router/aws';
import { handler as alarmHandler } from '../functions/alarm';
import { handler as dashboardHandler } from '../functions/dashboard';
import { handler as digestHandler } from '../functions/digest';
import { handler as escalateHandler } from '../functions/escalate';
import { handler as slackHandler } from '../functions/slack';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { apiGatewayEvent, lambdaContext, scheduledEvent, snsEventFromHttp } from '../packages/local/src/lambda-events';
import { slashCommandBody } from './helpers/slack-requests';
import { routerWithPeers } from './helpers/router-runtime';

// Powertools' middleware resets the log level to the one the logger was built with at every invocation after
// the first (debug sampling): build it at DEBUG so the handlers log everything they can.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

const SLACK_SECRET_PATH = '/services/T0SECRET/B0SECRET/sl4ckS3cr3tT0k3nXYZ';
const ROUTING_KEY = 'PDR0UT1NGK3Y5ECRET00000000000000';
const SMTP_PASSWORD = 'smtpP4ssw0rdSecret';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DASHBOARD_TOKEN = 'dashb0ardT0kenSecretValue123456';

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** An error as the Lambda runtime would log it: name, message, stack, and its causes. */
function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string; stack?: string; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return `thrown: ${String(err)}\n`;
  return `thrown: ${e.name}: ${e.message}\n${e.stack ?? ''}\n${e.cause ? errorText(e.cause) : ''}`;
}

/**
 * Captures everything written to stdout/stderr (where Powertools' logger writes) and to console.* while `fn`
 * runs, plus every error `fn` throws (as the Lambda runtime would log it). A failed assertion inside `fn` is
 * rethrown, not captured.
 */
async function capture(fn: (thrown: (err: unknown) => void) => Promise<unknown>): Promise<string> {
  const out: string[] = [];
  const write = (chunk: unknown) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  const consoles = CONSOLE_METHODS.map((m) => [m, console[m]] as const);
  process.stdout.write = write as typeof process.stdout.write;
  process.stderr.write = write as typeof process.stderr.write;
  for (const m of CONSOLE_METHODS)
    console[m] = (...args: unknown[]) =>
      void out.push(`console.${m}: ${args.map((a) => (a instanceof Error ? errorText(a) : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
  try {
    await fn((err) => out.push(errorText(err))).catch((err: unknown) => {
      if ((err as Error | null)?.name === 'AssertionError') throw err;
      out.push(errorText(err));
    });
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    for (const [m, f] of consoles) console[m] = f;
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
    expect(
      secretValues(rt.config).map(
        (s) => s.includes(SLACK_SECRET_PATH) || s.includes(SMTP_PASSWORD) || [ROUTING_KEY, SIGNING_SECRET, DASHBOARD_TOKEN].includes(s),
      ),
    ).toEqual([true, true, true, true, true]);
  });

  it('failing deliveries on every channel, unreachable peers and junk log no secret', async () => {
    env.slack.fallback = { status: 500, body: `error for ${SLACK_SECRET_PATH}?` };
    env.pagerduty.fallback = { status: 400, body: JSON.stringify({ status: 'invalid event', errors: ['bad routing key'] }) };
    env.smtp.script.push(550, 550, 550);
    const text = await capture(async () => {
      await handleSnsEvent(snsEventFromHttp(snsNotification(RUNBOOK_ALARMS[0], 'ALARM', new Date())), rt).catch((e: Error) =>
        logger.error('invocation failed', e),
      );
      await handleSnsEvent(snsEventFromHttp(snsNotification(RUNBOOK_ALARMS[1], 'ALARM', new Date())), rt).catch((e: Error) =>
        logger.error('invocation failed', e),
      );
      await handleSnsEvent({ Records: [{ Sns: { nope: true } }] }, rt);
      await env.slack.close();
      await env.smtp.close();
      await handleSnsEvent(snsEventFromHttp(snsNotification({ ...RUNBOOK_ALARMS[1], name: 'Unreachable' }, 'ALARM', new Date())), rt).catch((e: Error) =>
        logger.error('invocation failed', e),
      );
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

interface EchoPeers {
  httpUrl: string;
  smtpPort: number;
  /** accept: behave (200/202, SMTP accepts); echo: fail every request, answering with what was received. */
  mode: 'accept' | 'echo';
  received: string[];
  close(): Promise<void>;
}

/**
 * One HTTP peer (Slack webhook, PagerDuty Events API, Slack response_url) and one SMTP peer that, in `echo`
 * mode, fail while repeating what they were sent: the URL path, the Authorization header, the body, the SMTP
 * credentials. Whatever a channel error carries from a peer is then the worst case.
 */
async function startEchoPeers(): Promise<EchoPeers> {
  const peers = { mode: 'accept', received: [] } as Pick<EchoPeers, 'mode' | 'received'>;
  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const echo = `${req.method} ${req.url} authorization=${req.headers.authorization ?? '-'} body=${Buffer.concat(chunks).toString('utf8')}`;
      peers.received.push(echo);
      if (peers.mode === 'echo') {
        // PagerDuty: a retryable 503 (retries, redelivery by the escalation sweep); the others: a final 400.
        res.writeHead(req.url?.startsWith('/v2/enqueue') ? 503 : 400, { 'content-type': 'text/plain' });
        res.end(`rejected: ${echo}`);
      } else if (req.url?.startsWith('/v2/enqueue')) {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', message: 'Event processed' }));
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('ok');
      }
    });
  });
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onAuth(auth, _session, callback) {
      const echo = `${auth.method} ${auth.username}:${auth.password}`;
      peers.received.push(echo);
      if (peers.mode === 'echo') callback(Object.assign(new Error(`authentication refused for ${echo}`), { responseCode: 535 }));
      else callback(null, { user: echo });
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        if (peers.mode === 'echo') callback(Object.assign(new Error(`mailbox unavailable for ${String(session.user)}`), { responseCode: 550 }));
        else callback();
      });
    },
  });
  await Promise.all([
    new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve())),
    new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve())),
  ]);
  return Object.assign(peers, {
    httpUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    smtpPort: (smtp.server.address() as AddressInfo).port,
    close: async () => {
      http.closeAllConnections();
      await Promise.all([new Promise<void>((resolve) => http.close(() => resolve())), new Promise<void>((resolve) => smtp.close(() => resolve()))]);
    },
  });
}

describe('every Lambda handler keeps the secrets out of its logs and errors, peers echoing them back', () => {
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  let peers: EchoPeers;
  let clock: number;
  let secrets: string[];

  beforeEach(async () => {
    clock = Date.now();
    peers = await startEchoPeers();
    env = await routerWithPeers(
      {
        SLACK_WEBHOOK_URL: `${peers.httpUrl}${SLACK_SECRET_PATH}`,
        PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
        PAGERDUTY_EVENTS_URL: `${peers.httpUrl}/v2/enqueue`,
        SMTP_URL: `smtp://router:${SMTP_PASSWORD}@127.0.0.1:${peers.smtpPort}`,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        DASHBOARD_TOKEN,
        DELIVERY_BUDGET_MS: '1000',
      },
      { now: () => new Date(clock) },
    );
    setRuntime(env.rt);
    secrets = [...secretValues(env.rt.config), SLACK_SECRET_PATH, 'sl4ckS3cr3tT0k3nXYZ', ROUTING_KEY, SMTP_PASSWORD, SIGNING_SECRET, DASHBOARD_TOKEN];
    logger.setLogLevel('DEBUG');
  });
  afterEach(async () => {
    logger.setLogLevel('SILENT');
    setRuntime(undefined);
    await env.close();
    await peers.close();
  });

  const alarm = (i: number, name = RUNBOOK_ALARMS[i].name) =>
    alarmHandler(snsEventFromHttp(snsNotification({ ...RUNBOOK_ALARMS[i], name }, 'ALARM', new Date(clock - 20 * 60_000))), lambdaContext('alarm'));

  async function slackCommand(text: string) {
    const body = slashCommandBody(text, `${peers.httpUrl}/commands/T1DC2JH3J/1/x`);
    const headers = signSlackRequest(SIGNING_SECRET, body, Math.floor(clock / 1000));
    const event = apiGatewayEvent({ method: 'POST', url: '/slack/commands', headers, body: Buffer.from(body), sourceIp: '127.0.0.1' });
    return (await slackHandler(event, lambdaContext('slack'))) as { statusCode: number; body: string };
  }

  async function slackButton(incidentId: string, actionId: 'incident_ack' | 'incident_resolve') {
    const payload = {
      type: 'block_actions',
      user: { id: 'U2CERLKJA', username: 'roadrunner' },
      response_url: `${peers.httpUrl}/actions/T1DC2JH3J/1/y`,
      actions: [{ action_id: actionId, value: incidentId }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const headers = signSlackRequest(SIGNING_SECRET, body, Math.floor(clock / 1000));
    const event = apiGatewayEvent({ method: 'POST', url: '/slack/interactions', headers, body: Buffer.from(body), sourceIp: '127.0.0.1' });
    return (await slackHandler(event, lambdaContext('slack'))) as { statusCode: number; body: string };
  }

  async function dashboardAction(id: string, action: 'ack' | 'resolve') {
    const headers = { host: '127.0.0.1', authorization: `Bearer ${DASHBOARD_TOKEN}`, 'content-type': 'application/json' };
    const body = JSON.stringify(action === 'resolve' ? { note: 'fixed by hand' } : {});
    const event = apiGatewayEvent({ method: 'POST', url: `/api/incidents/${id}/${action}`, headers, body: Buffer.from(body), sourceIp: '127.0.0.1' });
    return (await dashboardHandler(event, lambdaContext('dashboard'))) as { statusCode: number; body: string };
  }

  function expectNoSecret(text: string) {
    for (const secret of secrets) {
      expect(text, `log output contains ${secret}`).not.toContain(secret);
      expect(text, `log output contains ${encodeURIComponent(secret)}`).not.toContain(encodeURIComponent(secret));
    }
  }

  it('alarm, slack (ack/resolve), dashboard (ack/resolve), escalate and digest', async () => {
    // Incidents announced on every channel while the peers still accept, so ack/resolve notify them back.
    const names = { slackAck: 'SlackAck', slackResolve: 'SlackResolve', button: 'ButtonResolve', dashAck: 'DashboardAck', dashResolve: 'DashboardResolve' };
    const setup = await capture(async () => {
      for (const name of [names.slackAck, names.slackResolve, names.button, names.dashAck]) await alarm(0, name); // P0: PagerDuty + Slack
      await alarm(1, names.dashResolve); // P1: Slack + email
    });
    expect(setup).toContain('"message":"routed"');
    expectNoSecret(setup);
    const byName = new Map((await env.rt.store.listUnresolved()).map((i) => [i.alarmName, i.id]));
    expect(byName.size).toBe(5);
    const id = (name: string) => byName.get(name)!;
    peers.mode = 'echo';
    peers.received.length = 0;

    const text = await capture(async (thrown) => {
      await alarm(0, 'EchoedAlarm').catch(thrown);
      await alarmHandler({ Records: [{ Sns: { nope: true } }] } as never, lambdaContext('alarm')).catch(thrown);

      expect((await slackCommand(`ack ${id(names.slackAck)}`)).statusCode).toBe(200);
      expect((await slackCommand(`resolve ${id(names.slackResolve)} rolled back`)).statusCode).toBe(200);
      expect((await slackButton(id(names.button), 'incident_resolve')).statusCode).toBe(200);
      expect((await dashboardAction(id(names.dashAck), 'ack')).statusCode).toBe(200);
      expect((await dashboardAction(id(names.dashResolve), 'resolve')).statusCode).toBe(200);

      // Hours later: escalation steps for what is still open, and redelivery of the failed PagerDuty ack/resolve.
      clock += 3 * 3_600_000;
      await escalateHandler(scheduledEvent('escalate', new Date(clock)), lambdaContext('escalate')).catch(thrown);
      await digestHandler(scheduledEvent('digest', new Date(clock)), lambdaContext('digest')).catch(thrown);
    });

    // The peers did echo every secret back, and the capture saw the failures of every path.
    const echoed = peers.received.join('\n');
    for (const secret of [SLACK_SECRET_PATH, ROUTING_KEY, SMTP_PASSWORD]) expect(echoed).toContain(secret);
    for (const fn of ['alarm', 'slack', 'dashboard', 'escalate', 'digest']) expect(text).toContain(`"function_name":"${fn}"`);
    for (const line of [
      'delivery failed',
      'slack response_url refused the message',
      'escalated',
      'digest not delivered',
      'thrown: Error: digest not delivered',
      '[redacted]',
    ])
      expect(text).toContain(line);
    expect(text).toMatch(/"function_name":"escalate"[^\n]*"message":"delivery failed"|"message":"delivery failed"[^\n]*"function_name":"escalate"/);
    expect(text).toContain('thrown: RetryableDeliveryFailure');
    expect(peers.received.some((r) => r.startsWith('POST /actions/'))).toBe(true);
    expectNoSecret(text);

    const stored = JSON.stringify(await Promise.all([...byName.values()].map((i) => env.rt.store.getIncident(i))));
    expect(stored).toContain('[redacted]');
    expectNoSecret(stored);
  });
});
