import { Cron } from 'croner';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { lambdaContext, scheduledEvent } from './lambda-events';

type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface LocalScheduler {
  jobs: { name: string; pattern: string }[];
  stop(): void;
}

/** The schedules the stacks deploy (escalation every minute, the daily digest), run locally with croner. */
export const LOCAL_SCHEDULES: { name: 'escalate' | 'digest'; pattern: string }[] = [
  { name: 'escalate', pattern: '0 * * * * *' },
  { name: 'digest', pattern: process.env.DIGEST_CRON ?? '0 0 8 * * *' },
];

export function startScheduler(handlers: Partial<Record<'escalate' | 'digest', ScheduledHandler>> & object, log: (l: string) => void): LocalScheduler {
  const jobs: Cron[] = [];
  const registered: LocalScheduler['jobs'] = [];
  for (const s of LOCAL_SCHEDULES) {
    const h = (handlers as Partial<Record<string, ScheduledHandler>>)[s.name];
    if (!h) continue;
    registered.push(s);
    jobs.push(
      new Cron(s.pattern, { protect: true, timezone: process.env.DIGEST_TIMEZONE ?? 'UTC' }, async () => {
        try {
          await h(scheduledEvent(`local-${s.name}`), lambdaContext(s.name, 60_000));
        } catch (err) {
          log(`schedule ${s.name}: ${(err as Error).message}`);
        }
      }),
    );
  }
  return { jobs: registered, stop: () => jobs.forEach((j) => j.stop()) };
}
