import { Cron } from 'croner';
import { readEnv } from '@alert-router/aws';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { lambdaContext, scheduledEvent } from './lambda-events';

type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface LocalScheduler {
  jobs: { name: string; pattern: string }[];
  stop(): void;
}

/** `DIGEST_TIME` (HH:MM, default 08:00), as the schedules stack reads it → a croner pattern. */
function digestPattern({ hour, minute }: { hour: number; minute: number }): string {
  return `0 ${minute} ${hour} * * *`;
}

type ScheduledName = 'escalate' | 'digest' | 'hygiene';

/**
 * The schedules the stacks deploy (escalation every minute — every 10 s here, so that a group_wait of 30 s is kept
 * closely — the daily digest, the weekly alert hygiene on
 * Mondays and its monthly variant on the 1st, both at the digest's time), run locally with croner.
 */
export function localSchedules(): { name: ScheduledName; pattern: string; detail?: Record<string, unknown> }[] {
  const daily = digestPattern(readEnv(process.env, ['DIGEST_TIME']).DIGEST_TIME);
  return [
    { name: 'escalate', pattern: '*/10 * * * * *' },
    { name: 'digest', pattern: daily },
    { name: 'hygiene', pattern: daily.replace(/\* \* \*$/, '* * 1') },
    { name: 'hygiene', pattern: daily.replace(/\* \* \*$/, '1 * *'), detail: { days: 30 } },
  ];
}

export function startScheduler(handlers: Partial<Record<ScheduledName, ScheduledHandler>> & object, log: (l: string) => void): LocalScheduler {
  const jobs: Cron[] = [];
  const registered: LocalScheduler['jobs'] = [];
  const timezone = readEnv(process.env, ['DIGEST_TIMEZONE']).DIGEST_TIMEZONE ?? 'UTC';
  for (const s of localSchedules()) {
    const h = (handlers as Partial<Record<string, ScheduledHandler>>)[s.name];
    if (!h) continue;
    registered.push(s);
    jobs.push(
      new Cron(s.pattern, { protect: true, timezone }, async () => {
        try {
          await h({ ...scheduledEvent(`local-${s.name}`), detail: s.detail ?? {} }, lambdaContext(s.name, 60_000));
        } catch (err) {
          log(`schedule ${s.name}: ${(err as Error).message}`);
        }
      }),
    );
  }
  return { jobs: registered, stop: () => jobs.forEach((j) => j.stop()) };
}
