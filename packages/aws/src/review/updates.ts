/**
 * Stakeholder updates: on the timeline (one conditional write), to the incident channel on Slack, and for P0/P1
 * to STAKEHOLDER_EMAILS. Never through PagerDuty and never through the incident notifiers: nobody is paged.
 */
import {
  boundTimeline,
  emailsStakeholders,
  renderBulletinEmail,
  renderBulletinSlack,
  stakeholderBulletin,
  TIMELINE_LIMIT_FOR_UPDATES,
  updateEntry,
  type Incident,
} from '@alert-router/core';
import { actorLabel, type Actor } from '../actions';
import { broadcast, bulletinMail, type BroadcastDeps, type BroadcastResult } from '../digest/broadcast';
import { parentMessage } from '../notifiers/slack-web-api';
import type { Runtime } from '../runtime';

export type UpdateResult = { kind: 'posted'; incident: Incident; sent: BroadcastResult } | { kind: 'not-found' } | { kind: 'timeline-full' };

/** Appends the update unless the incident is gone or its timeline is full (a bound on the item's size). */
async function appendUpdate(rt: Runtime, id: string, actor: Actor, text: string, at: string): Promise<Incident | null> {
  const r = await rt.store.updateIncident(id, (cur) =>
    cur.timeline.length >= TIMELINE_LIMIT_FOR_UPDATES
      ? null
      : { incident: { ...cur, updatedAt: at > cur.updatedAt ? at : cur.updatedAt, timeline: [...cur.timeline, updateEntry(at, actorLabel(actor), text)] } },
  );
  return r.kind === 'updated' ? r.incident : null;
}

function outcomeText(r: BroadcastResult['slack'], recipients?: number): string {
  if (r.status === 'sent') return recipients === undefined ? 'sent' : `sent to ${recipients} stakeholder${recipients === 1 ? '' : 's'}`;
  if (r.status === 'failed') return `failed (${r.error.slice(0, 200)})`;
  return r.status === 'outbox' ? 'not configured (local outbox)' : 'not sent (only P0/P1 updates are emailed)';
}

export async function postStakeholderUpdate(rt: Runtime, id: string, actor: Actor, text: string, deps: BroadcastDeps = {}): Promise<UpdateResult> {
  const at = rt.now().toISOString();
  const updated = await appendUpdate(rt, id, actor, text, at);
  if (!updated) return (await rt.store.getIncident(id)) ? { kind: 'timeline-full' } : { kind: 'not-found' };
  const bulletin = stakeholderBulletin(updated, { at, who: actor.name, text }, rt.policy, rt.config.dashboardUrl);
  const sent = await broadcast(
    rt,
    {
      headline: bulletin.subject,
      slack: () => renderBulletinSlack(bulletin),
      slackThread: parentMessage(updated),
      email: emailsStakeholders(updated.severity) ? (from, to) => bulletinMail(from, to, renderBulletinEmail(bulletin), 'stakeholder-update') : null,
      emailTo: rt.config.stakeholderEmails,
    },
    deps,
  );
  for (const [channel, r] of Object.entries(sent)) {
    if (r.status === 'failed') rt.logger.error('stakeholder update not delivered', { incidentId: id, channel, error: r.error });
  }
  // Where the update went, on the timeline beside it (the review reads it); best effort, the update is stored.
  const outcome = `stakeholder update sent: Slack ${outcomeText(sent.slack)}, email ${outcomeText(sent.email, rt.config.stakeholderEmails.length)}`;
  const noted = rt.now().toISOString();
  await rt.store
    .updateIncident(id, (cur) => ({
      incident: { ...cur, timeline: boundTimeline([...cur.timeline, { at: noted, type: 'note', by: 'router', detail: outcome }]) },
    }))
    .catch((err: Error) => {
      rt.logger.warn('stakeholder update outcome not recorded', { incidentId: id, error: rt.redact(err.message) });
    });
  rt.metrics.count('StakeholderUpdates', 1, { severity: updated.severity });
  return { kind: 'posted', incident: updated, sent };
}
