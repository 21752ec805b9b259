import { routerFunction, type FunctionDeps } from './functions';
import { ESCALATE_SCHEDULE, dailyCron } from './settings';

/**
 * The event a schedule hands its function: EventBridge's "Scheduled Event" shape (what the local runner
 * sends too), filled in by EventBridge Scheduler's context attributes at each run.
 */
function scheduledEvent() {
  return {
    version: '0',
    id: '<aws.scheduler.execution-id>',
    'detail-type': 'Scheduled Event',
    source: 'aws.scheduler',
    account: aws.getCallerIdentityOutput({}).accountId,
    time: '<aws.scheduler.scheduled-time>',
    region: aws.getRegionOutput({}).region,
    resources: ['<aws.scheduler.schedule-arn>'],
    detail: {},
  };
}

/**
 * Escalation every minute, the daily digest and the weekly/monthly alert hygiene, on EventBridge Scheduler (`sst.aws.CronV2`; SST 4
 * deprecates `sst.aws.Cron`). The digest runs at DIGEST_TIME in DIGEST_TIMEZONE, daylight saving
 * included, which a UTC-only EventBridge rule cannot do.
 */
export function schedules(deps: FunctionDeps) {
  const escalateFunction = routerFunction('EscalateHandler', 'escalate', deps, {
    description: 'Every minute: next escalation step for unacknowledged incidents',
    timeout: '50 seconds',
    // The next run is a minute away; a retry would only overlap it.
    retries: 0,
  });
  const escalate = new sst.aws.CronV2('Escalate', {
    function: escalateFunction,
    schedule: ESCALATE_SCHEDULE,
    event: scheduledEvent(),
  });

  const digestFunction = routerFunction('DigestHandler', 'digest', deps, {
    description: 'Daily digest of the last 24 hours to Slack and email',
    timeout: '60 seconds',
  });
  const digest = new sst.aws.CronV2('Digest', {
    function: digestFunction,
    schedule: dailyCron(deps.settings.digestTime),
    timezone: deps.settings.digestTimezone,
    event: scheduledEvent(),
  });

  // Alert hygiene beside the digest: weekly on Mondays, and over 30 days on the 1st of each month.
  const hygieneFunction = routerFunction('HygieneHandler', 'hygiene', deps, {
    description: 'Weekly and monthly alert-hygiene report to Slack and email',
    timeout: '60 seconds',
  });
  const { hour, minute } = deps.settings.digestTime;
  const hygiene = new sst.aws.CronV2('Hygiene', {
    function: hygieneFunction,
    schedule: `cron(${minute} ${hour} ? * MON *)`,
    timezone: deps.settings.digestTimezone,
    event: scheduledEvent(),
  });
  const hygieneMonthly = new sst.aws.CronV2('HygieneMonthly', {
    function: hygieneFunction,
    schedule: `cron(${minute} ${hour} 1 * ? *)`,
    timezone: deps.settings.digestTimezone,
    event: { ...scheduledEvent(), detail: { days: 30 } },
  });

  return { escalate, escalateFunction, digest, digestFunction, hygiene, hygieneMonthly, hygieneFunction };
}
