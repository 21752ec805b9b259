/**
 * When a silence ends (expires or is removed), the unresolved incidents it held since they opened are announced on
 * their channels as if they had just fired, marked "was silenced by SIL-… (reason) since …", with their escalation
 * and response time counted from that moment. Called by every escalation sweep (one status-index query for the
 * held incidents); an incident that resolved during the silence is not listed, so nothing is sent for it.
 */
import { addNotices, isSendChannel, planRelease, type Incident, type SendChannel, type Silence } from '@alert-router/core';
import { newClaim, sendNotices, type DeliveryDeps } from './delivery';

/** Most held incidents one sweep reads; more wait for the next sweep. */
const HELD_READ_LIMIT = 500;

export interface Released {
  id: string;
  silenceId: string;
  notify: SendChannel[];
}

export interface ReleaseDeps extends DeliveryDeps {
  silenceCache: { refresh(): Promise<unknown>; all(): Silence[] };
  redact?: (text: string) => string;
}

/** Never fails the sweep it is part of: what cannot be read or written now is released by a later sweep. */
export async function releaseEndedSilences(rt: ReleaseDeps): Promise<Released[]> {
  const redact = rt.redact ?? ((t: string) => t);
  let held: Incident[];
  try {
    held = await rt.store.listHeld(HELD_READ_LIMIT);
    if (held.length === 0) return [];
    // Only a fresh copy may say a silence is over: with a stale or missing one, nothing is released this sweep.
    await rt.silenceCache.refresh();
  } catch (err) {
    rt.logger.warn('held incidents or silences unreadable; releases wait for the next sweep', { error: redact((err as Error).message) });
    return [];
  }
  const silences = rt.silenceCache.all();
  // As of the read, not of the sweep's start: a silence created since may already hold an incident listed here.
  const now = rt.now().toISOString();
  const released = await Promise.all(
    held.map((i) =>
      releaseOne(rt, i, silences, now).catch((err: Error) => {
        rt.logger.warn('release failed; the next sweep tries again', { incidentId: i.id, error: redact(err.message) });
        return null;
      }),
    ),
  );
  return released.filter((r): r is Released => r !== null);
}

/**
 * Announces one held incident: its trigger notices are recorded (pending under this sweep's claim) in the same
 * revision-guarded write that ends the hold, so overlapping sweeps announce once, then sent like any notice.
 */
async function releaseOne(rt: ReleaseDeps, incident: Incident, silences: Silence[], now: string): Promise<Released | null> {
  const claim = newClaim(rt);
  const r = await rt.store.updateIncident<{ send: string[]; silenceId: string; notify: SendChannel[] }>(
    incident.id,
    (cur) => {
      if (cur.silencedBy !== incident.silencedBy) return null;
      const plan = planRelease(cur, silences, now, rt.policy);
      if (!plan) return null;
      const notify = cur.channels.filter(isSendChannel);
      const released = { ...cur, silencedBy: null, releasedAt: now, escalation: plan.escalation };
      const added = addNotices(
        released,
        notify.map((channel) => ({ event: 'trigger' as const, channel, note: plan.note })),
        claim,
        [{ at: now, type: 'silenced', by: 'escalation', detail: `silence ended: announced (${plan.note})` }],
      );
      return { ...added, silenceId: plan.silenceId, notify };
    },
    incident,
  );
  if (r.kind !== 'updated') return null;
  await sendNotices(rt, r.incident, claim.owner, r.send);
  return { id: incident.id, silenceId: r.silenceId, notify: r.notify };
}
