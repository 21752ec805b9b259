import { it } from 'vitest';
import { processNotification } from '@alert-router/aws';
import { parseSnsMessage } from '@alert-router/core';
import { routerWithPeers } from './helpers/router-runtime';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
function note(a: (typeof RUNBOOK_ALARMS)[number], state: 'ALARM' | 'OK', when: Date, messageId?: string) {
  const b = snsNotification(a, state, when, messageId);
  return parseSnsMessage({ ...b, Subject: b.Subject ?? null }, 'Sns');
}
it('debug', async () => {
  const env = await routerWithPeers();
  const a = { ...RUNBOOK_ALARMS[1], name: 'Race-x' };
  console.log('A', (await processNotification(note(a, 'ALARM', new Date('2026-11-20T10:00:00.000Z'), 'a'), env.rt)).kind);
  console.log('O', (await processNotification(note(a, 'OK', new Date('2026-11-20T10:01:00.000Z'), 'o'), env.rt)).kind);
  await env.close();
});
