import { describe, expect, it } from 'vitest';
import { defaultPolicy, parseSnsMessage } from '@alert-router/core';
import { holdBack } from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const alarm = (minutes: number) => {
  const b = snsNotification(RUNBOOK_ALARMS[0], 'ALARM', new Date(T0 + minutes * 60_000));
  return parseSnsMessage({ ...b, Subject: b.Subject ?? null }, 'Sns');
};

describe('the silence / flapping stage alone', () => {
  const policy = defaultPolicy(); // flapping: more than 4 changes in 30 min

  it('a quiet alarm is announced', async () => {
    expect(await holdBack(alarm(0), [], 'P0', iso(0), { policy })).toEqual({ silencedBy: null, flapping: null });
  });

  it('a matching silence holds it back, by name', async () => {
    const r = await holdBack(alarm(0), [], 'P0', iso(0), { policy, silencedBy: () => 'SIL-1 by U1: deploy' });
    expect(r.silencedBy).toBe('SIL-1 by U1: deploy');
  });

  it('the change that starts flapping is announced once; the next ones are held', async () => {
    const started = await holdBack(alarm(5), [iso(1), iso(2), iso(3), iso(4)], 'P0', iso(5), { policy });
    expect(started.silencedBy).toBeNull();
    expect(started.flapping?.detail).toMatch(/^started flapping \(5 changes in 30 min\)/);
    const still = await holdBack(alarm(6), [iso(1), iso(2), iso(3), iso(4), iso(5)], 'P0', iso(6), { policy });
    expect(still.silencedBy).toBe('flapping: 6 state changes in 30 min');
    expect(still.flapping?.detail).toMatch(/^still flapping/);
  });
});
