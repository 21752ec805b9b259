import { Cron } from 'croner';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { lambdaContext, scheduledEvent } from './lambda-events';

type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface LocalScheduler {
  jobs: { name: string; pattern: string }[];
  stop(): void;
}

/** `DIGEST_TIME` (HH:MM, default 08:00), as the schedules stack reads it → a croner pattern. */
export function digestPattern(time = process.env.DIGEST_TIME || '08:00'): string {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!m) throw new Error(`DIGEST_TIME: expected HH:MM (24-hour), got "${time}"`);
  return `0 ${Number(m[2])} ${Number(m[1])} * * *`;
}

type ScheduledName = 'escalate' | 'digest' | 'hygiene';

/**
 * The schedules the stacks deploy (escalation every minute, the daily digest, the weekly alert hygiene on
 * Mondays and its monthly variant on the 1st, both at the digest's time), run locally with croner.
 */
export function localSchedules(): { name: ScheduledName; pattern: string; detail?: Record<string, unknown> }[] {
  const daily = digestPattern();
  return [
    { name: 'escalate', pattern: '0 * * * * *' },
    { name: 'digest', pattern: daily },
    { name: 'hygiene', pattern: daily.replace(/\* \* \*$/, '* * 1') },
    { name: 'hygiene', pattern: daily.replace(/\* \* \*$/, '1 * *'), detail: { days: 30 } },
  ];
}

export function startScheduler(handlers: Partial<Record<ScheduledName, ScheduledHandler>> & object, log: (l: string) => void): LocalScheduler {
  const jobs: Cron[] = [];
  const registered: LocalScheduler['jobs'] = [];
  for (const s of localSchedules()) {
    const h = (handlers as Partial<Record<string, ScheduledHandler>>)[s.name];
    if (!h) continue;
    registered.push(s);
    jobs.push(
      new Cron(s.pattern, { protect: true, timezone: process.env.DIGEST_TIMEZONE || 'UTC' }, async () => {
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
