import { groupTimings, splitIncidentId, splitMember } from '@alert-router/core/grouping';
import type { Incident, TimelineEntry } from '@alert-router/core/incident';
import { actorLabel, type Actor } from './actions';
import { newClaim, sendNotices, type DeliveryDeps } from './delivery';
import { changeOptions } from './group-stages';

export type SplitResult = { kind: 'done'; group: Incident; incident: Incident } | { kind: 'not-found' } | { kind: 'refused'; why: string };

/**
 * A person splits a member out of its group (dashboard, API): the member's latch moves to the new incident first
 * (compare-and-set, so its OK resolves the new incident), then the group loses it and the new incident is stored
 * and announced. A retry after a crash between the two finds the latch moved and finishes (the id is derived); a
 * crash after the group lost the member leaves its OK to store the new incident, resolved and unannounced.
 */
export async function splitOut(rt: DeliveryDeps, groupId: string, incidentKey: string, actor: Actor): Promise<SplitResult> {
  const group = await rt.store.getIncident(groupId);
  if (!group) return { kind: 'not-found' };
  const member = group.members?.find((m) => m.incidentKey === incidentKey);
  if (!member) return { kind: 'refused', why: `${groupId} has no member ${incidentKey}` };
  const id = splitIncidentId(member);
  const claim = newClaim(rt);
  const at = claim.now;
  const by = actorLabel(actor);
  const resolve = { at, by, entry: { at, type: 'resolved', by, detail: 'last firing member split out' } as TimelineEntry, claim };
  const options = { ...changeOptions({ kind: 'alarm' }, groupTimings(rt.policy), rt, claim), by, resolve };
  const first = splitMember(group, incidentKey, options);
  if (first.kind === 'refused') return { kind: 'refused', why: first.why };
  if (!(await rt.store.setLatchGroup(member.incidentKey, member.episodeId, groupId, id))) {
    const latch = await rt.store.getLatch(member.incidentKey);
    if (latch?.openId !== member.episodeId || latch.groupId !== id) return { kind: 'refused', why: `${member.alarmName} is no longer firing in ${groupId}` };
  }
  const r = await rt.store.updateIncident<{ send: string[] }>(groupId, (cur) => {
    const s = splitMember(cur, incidentKey, options);
    return s.kind === 'split' ? { incident: s.group, send: s.send } : null;
  });
  if (r.kind === 'missing') return { kind: 'not-found' };
  // The group refused (resolved meanwhile, by a person whose resolve freed the member): nothing is created.
  const letGo = r.kind === 'updated' || (r.incident.status !== 'resolved' && !r.incident.members?.some((m) => m.incidentKey === incidentKey));
  if (!letGo) return { kind: 'refused', why: `${groupId} was resolved meanwhile` };
  const created = first.incident;
  const stored = await rt.store.createIncident(created);
  if (r.kind === 'updated') await sendNotices(rt, r.incident, claim.owner, r.send);
  if (stored) await sendNotices(rt, created, claim.owner, Object.keys(created.deliveries));
  rt.metrics.count('MembersSplit', 1, { severity: created.severity });
  return { kind: 'done', group: r.incident, incident: (await rt.store.getIncident(id)) ?? created };
}
