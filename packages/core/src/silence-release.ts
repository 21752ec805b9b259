import type { EscalationState, Incident } from './incident';
import { escalationFor } from './lifecycle';
import type { Policy } from './policy';
import { formatTime } from './render/format';
import { matchingSilence, type Silence } from './silence';

/** What the alarm path writes into `silencedBy` for a silence: `SIL-… by <author>: <reason>` (flapping writes other text). */
const HELD_BY = /^(\S+) by (.*?): (.*)$/s;

/** The silence an incident's `silencedBy` names, or null when it was held for another reason (flapping). */
export function heldBy(silencedBy: string | null): { id: string; author: string; reason: string } | null {
  if (!silencedBy || silencedBy.startsWith('flapping')) return null;
  const m = HELD_BY.exec(silencedBy);
  return m ? { id: m[1], author: m[2], reason: m[3] } : null;
}

export interface Release {
  silenceId: string;
  /** Shown with the announcement: `was silenced by SIL-1A2B3C (planned maintenance) since 2026-11-30 10:00 UTC`. */
  note: string;
  /** The escalation chain, its first deadline counted from the release (null once acknowledged). */
  escalation: EscalationState | null;
}

/**
 * An unresolved incident opened during a silence, once no silence holds its alarm any more (the one that held
 * it expired or was ended, and no other matches now): announce it as if it had just fired, with its escalation
 * and response time counted from `now`. Null while still held, when resolved, or when held for flapping.
 */
export function planRelease(incident: Incident, silences: Silence[], now: string, policy: Policy): Release | null {
  if (incident.status === 'resolved') return null;
  const held = heldBy(incident.silencedBy);
  if (!held) return null;
  if (matchingSilence(silences, incident, now)) return null;
  return {
    silenceId: held.id,
    note: `was silenced by ${held.id} (${held.reason}) since ${formatTime(incident.openedAt)}`,
    escalation: incident.status === 'open' ? escalationFor(incident.severity, now, policy) : null,
  };
}
