import { Cron } from 'croner';
import { readEnv } from '@alert-router/aws';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { lambdaContext, scheduledEvent } from './lambda-events';

type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface LocalScheduler {
  jobs: { name: string; pattern: string }[];
  /** Runs a schedule now, as if its time had come; joins its run in progress if there is one. Refused once stopped. */
  trigger(name: string): Promise<void>;
  /** No run starts after it; resolves once the runs in progress (a sweep mid-fan-out) have finished. */
  stop(): Promise<void>;
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
  type Job = { name: string; cron: Cron; run: () => Promise<void>; current: Promise<void> | null };
  const jobs: Job[] = [];
  const registered: LocalScheduler['jobs'] = [];
  let stopped = false;
  const timezone = readEnv(process.env, ['DIGEST_TIMEZONE']).DIGEST_TIMEZONE ?? 'UTC';
  /** The job's run in progress, or a new one: one at a time per job, whether its time came or it was triggered. */
  const runOnce = (job: Job): Promise<void> => {
    if (stopped) return Promise.resolve();
    job.current ??= job.run().finally(() => (job.current = null));
    return job.current;
  };
  for (const s of localSchedules()) {
    const h = (handlers as Partial<Record<string, ScheduledHandler>>)[s.name];
    if (!h) continue;
    registered.push(s);
    const run = async () => {
      try {
        await h({ ...scheduledEvent(`local-${s.name}`), detail: s.detail ?? {} }, lambdaContext(s.name, 60_000));
      } catch (err) {
        log(`schedule ${s.name}: ${(err as Error).message}`);
      }
    };
    const job: Job = { name: s.name, run, current: null, cron: new Cron(s.pattern, { protect: true, timezone }, () => runOnce(job)) };
    jobs.push(job);
  }
  return {
    jobs: registered,
    trigger: async (name) => {
      const job = jobs.find((j) => j.name === name);
      if (!job) throw new Error(`no schedule named ${name}`);
      if (stopped) throw new Error('the scheduler is stopped');
      await runOnce(job);
    },
    stop: async () => {
      stopped = true;
      for (const j of jobs) j.cron.stop();
      await Promise.all(jobs.flatMap((j) => (j.current ? [j.current] : [])));
    },
  };
}
