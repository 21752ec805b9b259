import {
  acknowledgeWithNotices,
  claimDueNotices,
  completeNotices,
  resolveWithNotices,
  boundTimeline,
  fitToStore,
  type Claim,
  type ClaimResult,
  type CompleteResult,
  type DeliveryRecord,
  type Incident,
  type ResolveInput,
  type SendOutcome,
  type Severity,
  type TimelineEntry,
  type GroupLookup,
  type GroupPointer,
  type GroupRecord,
} from '@alert-router/core';
import { rowOf, type IncidentRow } from './row';

/** The per-alarm record that serialises episodes: one conditional write decides new / duplicate / stale. */
export interface Latch {
  incidentKey: string;
  /** Newest state change seen for the alarm (ISO); older or equal changes are redeliveries. */
  lastChange: string;
  openId?: string;
  /** The group the open episode is a member of (grouping.ts); absent: its incident is its own (id openId). */
  groupId?: string;
  /** The open episode was held back (silenced) when it opened: its own incident, never a group's. */
  solo?: boolean;
  openedAt?: string;
  severity?: Severity;
  channels?: string[];
  alarmName?: string;
  lastMessageId?: string;
  /** The episode the last OK closed, and that OK's state change: a repeated OK can finish its resolve. */
  closedId?: string;
  closedChange?: string;
  /** The group of the episode the last OK closed (a member that fires again rejoins it while it is open). */
  closedGroupId?: string;
  /** Recent state change times, for flapping detection (trimmed off the alarm path). */
  flips?: string[];
}

export type ProblemResult =
  /** This delivery opened the episode: the caller creates the incident and notifies. */
  | { kind: 'opened'; flips: string[] }
  /** A newer transition of an alarm whose episode is still unresolved. */
  | { kind: 'duplicate'; openId: string; groupId: string | null; openedAt: string | null; flips: string[] }
  /** The same or an older state change: a redelivery, a concurrent delivery, or out of order. */
  | { kind: 'conflict'; latch: Latch | null; incident: Incident | null };

export type RecoveryResult =
  | { kind: 'resolved'; previous: Latch; flips: string[] }
  | { kind: 'no-episode'; flips: string[] }
  | { kind: 'conflict'; latch: Latch | null; incident: Incident | null };

export interface ProblemFields {
  now: string;
  severity: Severity;
  channels: string[];
  alarmName: string;
  messageId: string | null;
  /** The group a new episode is to join (kept if one is open already). */
  groupId?: string;
  /** The new episode is held back by a silence: it keeps its own incident (every copy of the delivery follows). */
  solo?: boolean;
}

export interface DeadLetter {
  at: string;
  reason: string;
  source: string;
  raw: string;
}

export interface DayQuery {
  from?: string;
  to?: string;
  limit?: number;
  newestFirst?: boolean;
  /** Only incidents whose `<openedAt>#<id>` sorts before this (a keyset cursor); not combined with from / to. */
  before?: string;
}

/** The records a grouped alarm's decision reads together. */
export interface GroupLookupRead {
  record: GroupRecord | null;
  latch: Latch | null;
  children: Latch[];
  /** A composite alarm's pointer to its group, left for this alarm (one of its triggering children). */
  pointer?: GroupPointer | null;
}

/** The lookup as grouping.ts's candidateGroup takes it. */
export function groupLookup(r: GroupLookupRead): GroupLookup {
  return {
    record: r.record,
    lastGroupId: r.latch?.openId ? null : (r.latch?.closedGroupId ?? null),
    childGroups: r.children.flatMap((c) => (c.openId ? [c.groupId ?? c.openId] : [])),
    pointer: r.pointer ?? null,
  };
}

/** A change computed from the incident as read; null: nothing to change. */
export type IncidentChange<T> = (current: Incident) => (T & { incident: Incident }) | null;

export type Updated<T> = { kind: 'missing' } | { kind: 'unchanged'; incident: Incident } | ({ kind: 'updated'; incident: Incident } & T);

/**
 * Where incidents live. The alarm path, escalation, Slack and the dashboard speak only this; the DynamoDB adapter
 * (store.ts) and the in-memory one (store/memory.ts) implement it, and a later adapter only has to provide the
 * primitive operations below `RevisionedIncidentStore`.
 */
export interface IncidentStore {
  /** ALARM / plain message: the alarm path's one round trip before it knows whether it opened an episode. */
  recordProblem(incidentKey: string, changedAt: string, id: string, fields: ProblemFields): Promise<ProblemResult>;
  /** OK: ends the unresolved episode, remembering it as the one this change closed. */
  recordRecovery(incidentKey: string, changedAt: string, fields: { alarmName: string; messageId: string | null }): Promise<RecoveryResult>;
  getLatch(incidentKey: string): Promise<Latch | null>;
  /** Moves the open episode `openId` from group `from` to `to`; false when it is no longer open or no longer in `from`. */
  setLatchGroup(incidentKey: string, openId: string, from: string, to: string): Promise<boolean>;
  /** What a new grouped alarm decides on (one read): the key's group record, the alarm's and its children's latches. */
  lookupGroup(groupKey: string, incidentKey: string, childKeys: string[]): Promise<GroupLookupRead>;
  /** Writes the group record if it still has `expectedVersion` (0: there is none). */
  putGroupRecord(next: GroupRecord, expectedVersion: number): Promise<boolean>;
  /** A composite's group, left for its triggering children (read back by their lookupGroup); last writer wins. */
  pointChildren(childKeys: string[], pointer: GroupPointer): Promise<void>;
  trimFlips(incidentKey: string, changedAt: string, keep: string[]): Promise<void>;
  /** Frees the alarm for a new episode after a person resolved it (only if this episode still holds it). */
  releaseLatch(incidentKey: string, id: string): Promise<boolean>;

  /** Stores a new incident (its notices pending under the creator's lease); false when it already exists. */
  createIncident(incident: Incident): Promise<boolean>;
  getIncident(id: string): Promise<Incident | null>;
  /** Several incidents (each once), eventually consistent, in no set order; those not found are left out. */
  getIncidents(ids: string[]): Promise<Incident[]>;
  /** Replaces the incident if it still has revision `expectedRev` (the new one carries expectedRev + 1). */
  replaceIncident(next: Incident, expectedRev: number): Promise<boolean>;
  /** Reads, changes and writes back an incident until no concurrent writer got in between. */
  updateIncident<T extends object>(id: string, change: IncidentChange<T>, known?: Incident): Promise<Updated<T>>;

  /** Takes over the incident's due notices (lease expired or retry due), or those `only` picks. */
  claimNotices(id: string, claim: Claim, known?: Incident, only?: (key: string, d: DeliveryRecord) => boolean): Promise<Updated<ClaimResult>>;
  /** Records what the notices `owner` sent came to. */
  completeNotices(id: string, owner: string, outcomes: Record<string, SendOutcome>, now: string, known?: Incident): Promise<Updated<CompleteResult>>;
  /** Resolves the incident with its resolve notices; `unchanged` when it already was resolved. */
  resolveIncident(id: string, input: ResolveInput, known?: Incident): Promise<Updated<ClaimResult>>;
  acknowledgeIncident(id: string, input: Parameters<typeof acknowledgeWithNotices>[1]): Promise<Updated<ClaimResult>>;
  /** A newer transition folded into an open episode: counted, and on the timeline. */
  recordDuplicate(id: string, entry: TimelineEntry): Promise<boolean>;

  /** Unresolved incidents newest first; `before`: only those whose `<openedAt>#<id>` sorts before it (a keyset cursor). */
  listUnresolved(limit?: number, before?: string): Promise<Incident[]>;
  listByDay(day: string, opts?: DayQuery): Promise<Incident[]>;
  listOpenedBetween(from: string, to: string, limit?: number): Promise<Incident[]>;
  /** Incidents that need the sweep at `now`: an escalation step or a notice due (lease expired, retry due). */
  listDue(now: string, limit?: number): Promise<Incident[]>;
  /** Unresolved incidents held by a silence (or flapping) since they opened, newest first. */
  listHeld(limit?: number): Promise<Incident[]>;
  /** listUnresolved's rows only (the dashboard): an adapter may serve them from an index without reading incidents. */
  listUnresolvedRows(limit?: number, before?: string): Promise<IncidentRow[]>;
  /** listByDay's rows only (the dashboard's history). */
  listRowsByDay(day: string, opts?: DayQuery): Promise<IncidentRow[]>;

  /** Keeps a message whole (chunked when large): unreadable input, or the full text an incident keeps trimmed. */
  putDeadLetter(d: DeadLetter): Promise<void>;
  listDeadLetters(day: string): Promise<DeadLetter[]>;
}

/** How many reads `getIncidents` keeps in flight where the adapter has no batched read. */
const GET_MANY_AT_ONCE = 16;

/** Enough for every alarm of a storm joining one group at once (each round one writer wins). */
const MAX_UPDATE_TRIES = 64;

/** A conditional replace: written, or lost, with the incident that won when the store hands it back. */
export type ReplaceOutcome = { written: true } | { written: false; current?: () => Incident | null };

/** The notice operations, written once over the primitive read / conditional replace every adapter provides. */
export abstract class RevisionedIncidentStore implements IncidentStore {
  abstract recordProblem(incidentKey: string, changedAt: string, id: string, fields: ProblemFields): Promise<ProblemResult>;
  abstract recordRecovery(incidentKey: string, changedAt: string, fields: { alarmName: string; messageId: string | null }): Promise<RecoveryResult>;
  abstract getLatch(incidentKey: string): Promise<Latch | null>;
  abstract setLatchGroup(incidentKey: string, openId: string, from: string, to: string): Promise<boolean>;
  abstract lookupGroup(groupKey: string, incidentKey: string, childKeys: string[]): Promise<GroupLookupRead>;
  abstract putGroupRecord(next: GroupRecord, expectedVersion: number): Promise<boolean>;
  abstract pointChildren(childKeys: string[], pointer: GroupPointer): Promise<void>;
  abstract trimFlips(incidentKey: string, changedAt: string, keep: string[]): Promise<void>;
  abstract releaseLatch(incidentKey: string, id: string): Promise<boolean>;
  abstract createIncident(incident: Incident): Promise<boolean>;
  abstract getIncident(id: string): Promise<Incident | null>;
  abstract replaceIncident(next: Incident, expectedRev: number): Promise<boolean>;
  abstract listUnresolved(limit?: number, before?: string): Promise<Incident[]>;
  abstract listByDay(day: string, opts?: DayQuery): Promise<Incident[]>;
  abstract listDue(now: string, limit?: number): Promise<Incident[]>;
  abstract listHeld(limit?: number): Promise<Incident[]>;
  abstract putDeadLetter(d: DeadLetter): Promise<void>;
  abstract listDeadLetters(day: string): Promise<DeadLetter[]>;

  async updateIncident<T extends object>(id: string, change: IncidentChange<T>, known?: Incident): Promise<Updated<T>> {
    let current = known ?? (await this.getIncident(id));
    let slept = 0;
    for (let i = 0; i < MAX_UPDATE_TRIES; i++) {
      if (!current) return { kind: 'missing' };
      const r = change(current);
      if (!r) return { kind: 'unchanged', incident: current };
      const rev = current.rev ?? 0;
      const next: Incident = fitToStore({ ...r.incident, rev: rev + 1 });
      const w = await this.replaceOrCurrent(next, rev);
      if (w.written) return { ...r, kind: 'updated', incident: next };
      if (i === MAX_UPDATE_TRIES - 1) break;
      const ms = await this.contended(i, slept);
      slept += ms;
      // The incident the lost race handed back is as fresh as a read now; after a pause it is not.
      current = ms === 0 && w.current ? w.current() : await this.getIncident(id);
    }
    throw new Error(`incident ${id}: too many concurrent writers`);
  }

  /**
   * replaceIncident, and when it loses the race, the incident as the failed condition found it if the store hands
   * it back (`current`, parsed only when asked; null: there is none), so that a retry at once needs no read.
   * Without `current`: read it.
   */
  protected async replaceOrCurrent(next: Incident, expectedRev: number): Promise<ReplaceOutcome> {
    return (await this.replaceIncident(next, expectedRev)) ? { written: true } : { written: false };
  }

  /**
   * After a lost race on an incident: an adapter with real latency waits a little (jittered) before reading again.
   * `sleptMs`: what this update has slept so far; resolves with the milliseconds slept now.
   */
  protected contended(_attempt: number, _sleptMs: number): Promise<number> {
    return Promise.resolve(0);
  }

  claimNotices(id: string, claim: Claim, known?: Incident, only?: (key: string, d: DeliveryRecord) => boolean): Promise<Updated<ClaimResult>> {
    return this.updateIncident(
      id,
      (cur) => {
        const r = claimDueNotices(cur, claim, only);
        return JSON.stringify(r.incident.deliveries) === JSON.stringify(cur.deliveries) ? null : r;
      },
      known,
    );
  }

  completeNotices(id: string, owner: string, outcomes: Record<string, SendOutcome>, now: string, known?: Incident): Promise<Updated<CompleteResult>> {
    return this.updateIncident(
      id,
      (cur) => {
        const r = completeNotices(cur, owner, outcomes, now);
        return r.recorded.length === 0 ? null : r;
      },
      known,
    );
  }

  resolveIncident(id: string, input: ResolveInput, known?: Incident): Promise<Updated<ClaimResult>> {
    return this.updateIncident(id, (cur) => resolveWithNotices(cur, input), known);
  }

  acknowledgeIncident(id: string, input: Parameters<typeof acknowledgeWithNotices>[1]): Promise<Updated<ClaimResult>> {
    return this.updateIncident(id, (cur) => acknowledgeWithNotices(cur, input));
  }

  async recordDuplicate(id: string, entry: TimelineEntry): Promise<boolean> {
    const r = await this.updateIncident(id, (cur) => ({
      incident: {
        ...cur,
        duplicates: (cur.duplicates ?? 0) + 1,
        updatedAt: entry.at > cur.updatedAt ? entry.at : cur.updatedAt,
        timeline: boundTimeline([...cur.timeline, entry]),
      },
    }));
    return r.kind === 'updated';
  }

  /** Reads them GET_MANY_AT_ONCE at a time; an adapter with a batched read does better. */
  async getIncidents(asked: string[]): Promise<Incident[]> {
    const ids = [...new Set(asked)];
    const out: Incident[] = [];
    for (let k = 0; k < ids.length; k += GET_MANY_AT_ONCE)
      for (const i of await Promise.all(ids.slice(k, k + GET_MANY_AT_ONCE).map((id) => this.getIncident(id)))) if (i) out.push(i);
    return out;
  }

  async listUnresolvedRows(limit?: number, before?: string): Promise<IncidentRow[]> {
    return (await this.listUnresolved(limit, before)).map(rowOf);
  }

  async listRowsByDay(day: string, opts?: DayQuery): Promise<IncidentRow[]> {
    return (await this.listByDay(day, opts)).map(rowOf);
  }

  /** Incidents opened in [from, to), newest first, reading only the days it spans. */
  listOpenedBetween(from: string, to: string, limit = 1000): Promise<Incident[]> {
    return openedBetween(from, to, limit, (day, opts) => this.listByDay(day, opts));
  }
}

/** What was opened in [from, to), newest first, through a by-day listing (incidents or rows), reading only the days it spans. */
export async function openedBetween<T extends { openedAt: string }>(
  from: string,
  to: string,
  limit: number,
  listDay: (day: string, opts: DayQuery) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  const firstDay = Date.parse(`${from.slice(0, 10)}T00:00:00Z`);
  for (let t = Date.parse(`${to.slice(0, 10)}T00:00:00Z`); t >= firstDay && out.length < limit; t -= 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const items = await listDay(day, { from, limit: limit - out.length, newestFirst: true });
    out.push(...items.filter((i) => i.openedAt < to));
  }
  return out;
}

/** Chunk size of kept raw messages (characters: at most 3 bytes each in UTF-8, well under an item's 400 KB). */
export const DEAD_LETTER_CHUNK = 100_000;

/** The latch after a newer state change: what every change writes. */
export function advancedLatch(old: Latch | undefined, incidentKey: string, changedAt: string, f: { alarmName: string; messageId: string | null }): Latch {
  const change = { lastChange: changedAt, incidentKey, alarmName: f.alarmName, lastMessageId: f.messageId ?? '' };
  // No spread of a missing latch: the first change of every alarm comes here.
  return old ? { ...old, ...change, flips: [...(old.flips ?? []), changedAt] } : { ...change, flips: [changedAt] };
}

/** The latch an ALARM leaves: its change recorded, and the episode it opens (or the one already open, kept). */
export function openedLatch(old: Latch | undefined, incidentKey: string, changedAt: string, id: string, f: ProblemFields): Latch {
  return {
    ...advancedLatch(old, incidentKey, changedAt, f),
    openId: old?.openId ?? id,
    groupId: old?.openId ? (old.groupId ?? old.openId) : (f.groupId ?? id),
    ...((old?.openId ? old.solo : f.solo) ? { solo: true } : {}),
    openedAt: old?.openedAt ?? f.now,
    severity: old?.severity ?? f.severity,
    channels: old?.channels ?? f.channels,
  };
}
