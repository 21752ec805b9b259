import { incidentDueAt, storedIncidentKey, type GroupPointer, type GroupRecord, type Incident } from '@alert-router/core';
import {
  advancedLatch,
  openedLatch,
  RevisionedIncidentStore,
  type DayQuery,
  type DeadLetter,
  type GroupLookupRead,
  type Latch,
  type ProblemFields,
  type ProblemResult,
  type RecoveryResult,
  type ReplaceOutcome,
} from './port';
import { validIncident } from './validate';

const copy = <T>(v: T): T => structuredClone(v);

/**
 * The port in memory, with the DynamoDB adapter's semantics (conditional writes, what each write returns), for
 * the deterministic simulation and for tests that need no DynamoDB. Every record is copied in and out.
 */
export class MemoryIncidentStore extends RevisionedIncidentStore {
  readonly latches = new Map<string, Latch>();
  readonly incidents = new Map<string, Incident>();
  readonly deadLetters: DeadLetter[] = [];
  readonly groups = new Map<string, GroupRecord>();
  readonly pointers = new Map<string, GroupPointer>();

  async recordProblem(incidentKey: string, changedAt: string, id: string, f: ProblemFields): Promise<ProblemResult> {
    const slot = storedIncidentKey(incidentKey);
    const old = this.latches.get(slot);
    if (old && !(old.lastChange < changedAt)) {
      const latch = copy(old);
      const target = latch.groupId ?? latch.openId;
      const incident = (await this.getIncident(id)) ?? (target && target !== id ? await this.getIncident(target) : null);
      return { kind: 'conflict', latch, incident };
    }
    const next = openedLatch(old, incidentKey, changedAt, id, f);
    this.latches.set(slot, next);
    const flips = copy(old?.flips ?? []);
    return old?.openId
      ? { kind: 'duplicate', openId: old.openId, groupId: old.groupId ?? old.openId, openedAt: old.openedAt ?? null, flips }
      : { kind: 'opened', flips };
  }

  async recordRecovery(incidentKey: string, changedAt: string, f: { alarmName: string; messageId: string | null }): Promise<RecoveryResult> {
    const slot = storedIncidentKey(incidentKey);
    const old = this.latches.get(slot);
    if (old && !(old.lastChange < changedAt)) {
      const latch = copy(old);
      const id = latch.closedChange === changedAt ? (latch.closedGroupId ?? latch.closedId) : (latch.groupId ?? latch.openId);
      return { kind: 'conflict', latch, incident: id ? await this.getIncident(id) : null };
    }
    const next = advancedLatch(old, incidentKey, changedAt, f);
    if (old?.openId) {
      next.closedId = old.openId;
      next.closedChange = changedAt;
      next.closedGroupId = old.groupId ?? old.openId;
      delete next.openId;
      delete next.groupId;
      delete next.solo;
      delete next.openedAt;
      delete next.severity;
      delete next.channels;
    }
    this.latches.set(slot, next);
    return old?.openId ? { kind: 'resolved', previous: copy(old), flips: copy(old.flips ?? []) } : { kind: 'no-episode', flips: copy(old?.flips ?? []) };
  }

  async getLatch(incidentKey: string): Promise<Latch | null> {
    const slot = storedIncidentKey(incidentKey);
    const l = this.latches.get(slot);
    return l ? copy(l) : null;
  }

  async trimFlips(incidentKey: string, changedAt: string, keep: string[]): Promise<void> {
    const slot = storedIncidentKey(incidentKey);
    const l = this.latches.get(slot);
    if (l && l.lastChange === changedAt) l.flips = [...keep];
  }

  async releaseLatch(incidentKey: string, id: string): Promise<boolean> {
    const slot = storedIncidentKey(incidentKey);
    const l = this.latches.get(slot);
    if (!l || l.openId !== id) return false;
    delete l.openId;
    delete l.groupId;
    delete l.solo;
    delete l.openedAt;
    delete l.severity;
    delete l.channels;
    return true;
  }

  async setLatchGroup(incidentKey: string, openId: string, from: string, to: string): Promise<boolean> {
    const l = this.latches.get(storedIncidentKey(incidentKey));
    if (!l || l.openId !== openId || (l.groupId ?? l.openId) !== from) return false;
    l.groupId = to;
    return true;
  }

  async lookupGroup(groupKey: string, incidentKey: string, childKeys: string[]): Promise<GroupLookupRead> {
    const record = this.groups.get(groupKey);
    const children = childKeys.flatMap((k) => {
      const l = this.latches.get(storedIncidentKey(k));
      return l ? [copy(l)] : [];
    });
    const pointer = this.pointers.get(storedIncidentKey(incidentKey));
    return { record: record ? copy(record) : null, latch: (await this.getLatch(incidentKey)) ?? null, children, pointer: pointer ? copy(pointer) : null };
  }

  async pointChildren(childKeys: string[], pointer: GroupPointer): Promise<void> {
    for (const k of childKeys.slice(0, 20)) this.pointers.set(storedIncidentKey(k), copy(pointer));
  }

  async putGroupRecord(next: GroupRecord, expectedVersion: number): Promise<boolean> {
    const cur = this.groups.get(next.groupKey);
    if ((cur?.version ?? 0) !== expectedVersion) return false;
    this.groups.set(next.groupKey, copy(next));
    return true;
  }

  async createIncident(incident: Incident): Promise<boolean> {
    if (this.incidents.has(incident.id)) return false;
    this.incidents.set(incident.id, copy({ ...incident, rev: incident.rev ?? 1 }));
    return true;
  }

  async getIncident(id: string): Promise<Incident | null> {
    const i = this.incidents.get(id);
    return i ? validIncident(copy(i) as unknown as Record<string, unknown>) : null;
  }

  async replaceIncident(next: Incident, expectedRev: number): Promise<boolean> {
    return (await this.replaceOrCurrent(next, expectedRev)).written;
  }

  /** Hands the current incident back on a lost race, as DynamoDB does: the simulation's seeds take that path too. */
  protected override async replaceOrCurrent(next: Incident, expectedRev: number): Promise<ReplaceOutcome> {
    const cur = this.incidents.get(next.id);
    if (!cur) return { written: false, current: () => null };
    if ((cur.rev ?? 0) !== expectedRev) {
      const seen = copy(cur);
      return { written: false, current: () => validIncident(seen as unknown as Record<string, unknown>) };
    }
    this.incidents.set(next.id, copy({ ...next, rev: expectedRev + 1 }));
    return { written: true };
  }

  async listUnresolved(limit = 500, before?: string): Promise<Incident[]> {
    return this.all()
      .filter((i) => i.status !== 'resolved' && (!before || `${i.openedAt}#${i.id}` < before))
      .sort((a, b) => (b.openedAt + b.id).localeCompare(a.openedAt + a.id))
      .slice(0, limit);
  }

  async listByDay(day: string, opts: DayQuery = {}): Promise<Incident[]> {
    const sorted = this.all()
      .filter(
        (i) =>
          i.openedAt.slice(0, 10) === day &&
          (!opts.from || `${i.openedAt}#${i.id}` >= opts.from) &&
          (!opts.to || `${i.openedAt}#${i.id}` <= `${opts.to}~`) &&
          (!opts.before || `${i.openedAt}#${i.id}` < opts.before),
      )
      .sort((a, b) => (a.openedAt + a.id).localeCompare(b.openedAt + b.id));
    if (opts.newestFirst) sorted.reverse();
    return sorted.slice(0, opts.limit ?? 10_000);
  }

  async listDue(now: string, limit = 100): Promise<Incident[]> {
    return this.all()
      .map((i) => ({ i, due: incidentDueAt(i) }))
      .filter((x) => x.due !== null && `${x.due}#${x.i.id}` <= `${now}~`)
      .sort((a, b) => `${a.due}#${a.i.id}`.localeCompare(`${b.due}#${b.i.id}`))
      .slice(0, limit)
      .map((x) => x.i);
  }

  async listHeld(limit = 500): Promise<Incident[]> {
    return (await this.listUnresolved(Number.MAX_SAFE_INTEGER)).filter((i) => i.silencedBy).slice(0, limit);
  }

  async putDeadLetter(d: DeadLetter): Promise<void> {
    this.deadLetters.push(copy(d));
  }

  async listDeadLetters(day: string): Promise<DeadLetter[]> {
    return this.deadLetters.filter((d) => d.at.slice(0, 10) === day).map(copy);
  }

  private all(): Incident[] {
    return [...this.incidents.values()].map(copy);
  }
}
