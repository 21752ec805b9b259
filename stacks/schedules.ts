import { deadLetterQueue } from './alarms';
import { routerFunction, type FunctionDeps } from './functions';
import { ESCALATE_SCHEDULE, dailyCron } from './settings';

/** A sweep event older than this is stale: the sweeps after it have done its work. */
const ESCALATE_MAX_EVENT_AGE_S = 300;

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
 *
 * A failed sweep is retried once (its writes are guarded, so overlapping a later sweep is harmless); a sweep
 * that still fails, or that the scheduler could not start, lands in the escalation dead-letter queue, which
 * the ops topic watches together with the sweep's heartbeat (stacks/watch.ts).
 */
export function schedules(deps: FunctionDeps) {
  const escalateDlq = deadLetterQueue('EscalateDeadLetters', 'escalate-dlq');
  const escalateFunction = routerFunction('EscalateHandler', 'escalate', deps, {
    description: 'Every minute: next escalation step for unacknowledged incidents',
    retries: 1,
    permissions: [{ actions: ['sqs:SendMessage'], resources: [escalateDlq.arn] }],
    transform: {
      eventInvokeConfig: {
        maximumEventAgeInSeconds: ESCALATE_MAX_EVENT_AGE_S,
        destinationConfig: { onFailure: { destination: escalateDlq.arn } },
      },
    },
  });
  const escalate = new sst.aws.CronV2('Escalate', {
    function: escalateFunction,
    schedule: ESCALATE_SCHEDULE,
    event: scheduledEvent(),
    // The scheduler's own retries, when it cannot invoke the function at all (throttled, missing).
    retries: 2,
    dlq: escalateDlq.arn,
  });

  const digestFunction = routerFunction('DigestHandler', 'digest', deps, {
    description: 'Daily digest of the last 24 hours to Slack and email',
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

  return { escalate, escalateFunction, escalateDlq, digest, digestFunction, hygiene, hygieneMonthly, hygieneFunction };
}
