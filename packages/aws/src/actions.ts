import { firingMembers, type Incident, type SendChannel, type TimelineEntry } from '@alert-router/core';
import { newClaim, sendNotices, type DeliveryDeps } from './delivery';

export { announcedChannels } from '@alert-router/core';

/** Who did something, and through what (`slack`, `dashboard`, `escalation`...). */
export interface Actor {
  id: string;
  name: string;
  via: 'slack' | 'dashboard' | 'api';
}

export type ActionResult =
  | { kind: 'done'; incident: Incident }
  | { kind: 'not-found' }
  | { kind: 'already-acknowledged'; incident: Incident }
  | { kind: 'already-resolved'; incident: Incident };

export function actorLabel(a: Actor): string {
  return `${a.via}:${a.id} (${a.name})`;
}

function already(i: Incident): ActionResult {
  return i.status === 'resolved' ? { kind: 'already-resolved', incident: i } : { kind: 'already-acknowledged', incident: i };
}

/**
 * Acknowledge: stops escalation, records who/when/where, and tells PagerDuty (same dedup_key) and the other
 * channels that announced it, except those in `skip` (Slack updates its own message through response_url). The
 * notices are recorded with the acknowledgement; one that fails is resent by the escalation sweep.
 */
export async function acknowledgeIncident(rt: DeliveryDeps, id: string, actor: Actor, opts: { skip?: SendChannel[] } = {}): Promise<ActionResult> {
  const at = rt.now().toISOString();
  const entry: TimelineEntry = { at, type: 'acknowledged', by: actorLabel(actor) };
  const claim = newClaim(rt);
  const r = await rt.store.acknowledgeIncident(id, { at, by: actorLabel(actor), entry, claim, skip: opts.skip ?? [], actor: actor.name });
  if (r.kind === 'missing') return { kind: 'not-found' };
  if (r.kind === 'unchanged') return already(r.incident);
  await sendNotices(rt, r.incident, claim.owner, r.send);
  rt.metrics.count('IncidentsAcknowledged', 1, { severity: r.incident.severity });
  return { kind: 'done', incident: (await rt.store.getIncident(id)) ?? r.incident };
}

/** Resolve by a person: frees the alarm for a new episode and says so where the incident was announced. */
export async function resolveIncident(rt: DeliveryDeps, id: string, actor: Actor, opts: { note?: string; skip?: SendChannel[] } = {}): Promise<ActionResult> {
  const at = rt.now().toISOString();
  const entry: TimelineEntry = { at, type: 'resolved', by: actorLabel(actor), ...(opts.note ? { detail: opts.note.slice(0, 1000) } : {}) };
  const claim = newClaim(rt);
  const r = await rt.store.resolveIncident(id, {
    at,
    by: actorLabel(actor),
    entry,
    claim,
    skip: opts.skip ?? [],
    actor: actor.name,
    note: opts.note?.slice(0, 1000),
  });
  if (r.kind === 'missing') return { kind: 'not-found' };
  if (r.kind === 'unchanged') return already(r.incident);
  // Frees every alarm still firing in it for a new episode (a group: each member's own).
  const episodes = r.incident.members?.length ? firingMembers(r.incident) : [{ incidentKey: r.incident.incidentKey, episodeId: id }];
  await Promise.all(episodes.map((m) => rt.store.releaseLatch(m.incidentKey, m.episodeId)));
  await sendNotices(rt, r.incident, claim.owner, r.send);
  rt.metrics.count('IncidentsResolved', 1, { severity: r.incident.severity });
  return { kind: 'done', incident: (await rt.store.getIncident(id)) ?? r.incident };
}
