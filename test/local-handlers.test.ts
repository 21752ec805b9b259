import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HANDLERS } from '../stacks/settings';
import { LOCAL_HANDLERS } from '../packages/local/src/handlers';
import { localSchedules, startScheduler } from '../packages/local/src/scheduler';

/** `npm start` has no second code path: it calls the very exports the stacks deploy. */
describe('the local server runs the deployed handlers', () => {
  it.each(Object.entries(HANDLERS))('%s: the stack deploys %s, and the local server calls that same function', async (key, handler) => {
    const [file, exportName] = [handler.slice(0, handler.lastIndexOf('.')), handler.slice(handler.lastIndexOf('.') + 1)];
    expect(existsSync(new URL(`../${file}.ts`, import.meta.url))).toBe(true);
    const mod = (await import(/* @vite-ignore */ `../${file}.ts`)) as Record<string, unknown>;
    expect(typeof mod[exportName]).toBe('function');
    expect((LOCAL_HANDLERS as Record<string, unknown>)[key]).toBe(mod[exportName]);
  });

  it('the local scheduler runs the scheduled functions the stacks deploy', () => {
    const names = [...new Set(localSchedules().map((s) => s.name))].sort();
    expect(names).toEqual(['digest', 'escalate', 'hygiene']);
    for (const n of names) expect(Object.keys(HANDLERS)).toContain(n);
  });

  it('one run at a time per schedule; stopping waits for the run in progress (a sweep mid-fan-out finishes before the store closes), then runs nothing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    const scheduler = startScheduler(
      {
        escalate: async () => {
          seen.push('started');
          await gate;
          seen.push('finished');
        },
      },
      () => {},
    );
    const run = scheduler.trigger('escalate');
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual(['started']);
    const joined = scheduler.trigger('escalate'); // one run at a time: this one joins the run in progress
    const stopping = scheduler.stop().then(() => seen.push('stopped'));
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['started']);
    release();
    await stopping;
    await Promise.all([run, joined]);
    expect(seen).toEqual(['started', 'finished', 'stopped']);
    await expect(scheduler.trigger('escalate')).rejects.toThrow(/stopped/);
    await expect(scheduler.trigger('nothing')).rejects.toThrow(/no schedule named nothing/);
  });
});
