/**
 * Grouping, as pure decisions and transitions: which alarms belong together (the policy's `grouping`), which open
 * group a new alarm joins, and what joining, recovering and a severity raise do to the group's incident and its
 * notices. The alarm path (packages/aws/src/group-stages.ts) runs them against the store.
 *
 * A group is one Incident: one PagerDuty incident (its id is the dedup_key), one Slack message, one email, one
 * escalation. Each alarm folded into it is a GroupMember with its own state. Later members are told in 'update'
 * notices: right away in the Slack message's thread when the Slack notifier has threads, otherwise batched at most
 * once per `groupInterval` (email, a Slack webhook), and never to PagerDuty unless the severity rose.
 */
import { createHash } from 'node:crypto';
import { CHANNELS, isSendChannel } from './channels';
import { addMinutes } from './clock';
import { globMatches } from './glob';
import { GROUPING_DEFAULTS } from './grouping-defaults';
import type { DeliveryRecord, GroupMember, Incident, TimelineEntry } from './incident';
import { deliveryKey, noticeTarget } from './incident';
import { escalationFor, incidentId, newIncident, sendChannels, storedIncidentKey } from './lifecycle';
import { boundTimeline, isFinished, pendingNotice, resolveWithNotices, type Claim, type ResolveInput } from './notices';
import type { Policy } from './policy';
import type { Routed } from './route';
import { truncateUnits } from './render/escape';
import type { Channel, Notification, SendChannel, Severity } from './types';
import { SEVERITIES } from './types';

/** The grouping in force for one alarm: its group key and the group's timings (minutes). */
export interface GroupingPlan {
  key: string;
  window: number;
  maxAge: number;
  groupWait: number;
  groupInterval: number;
  maxMembers: number;
}

/** Where the open group of a key is (the store's group record). */
export interface GroupRecord {
  groupKey: string;
  groupId: string;
  openedAt: string;
  /** New members may join before this: the newest member's join + window, at most openedAt + maxAge. */
  windowEnd: string;
  /** Conditional writes compare it (0: no record yet). */
  version: number;
}

/** What the alarm path reads before it decides: the key's record, the alarm's latch, a composite's children's latches. */
export interface GroupLookup {
  record: GroupRecord | null;
  /** The group this alarm was last a member of (its latch remembers it after the episode closed). */
  lastGroupId: string | null;
  /** Groups a composite alarm's triggering children are firing in. */
  childGroups: string[];
  /** A composite alarm named this one among its triggering children: the group it is in, until when. */
  pointer?: { groupId: string; until: string } | null;
}

/** What a composite alarm leaves for each of its triggering children (they join its group while it lasts). */
export interface GroupPointer {
  groupId: string;
  until: string;
}

export type Candidate = { kind: 'join'; groupId: string; why: 'window' | 'rejoin' | 'composite' } | { kind: 'new' };

const severityRank = (s: Severity) => SEVERITIES.indexOf(s);
const higher = (a: Severity, b: Severity): Severity => (severityRank(a) <= severityRank(b) ? a : b);

function topicName(arn: string | null | undefined): string | null {
  return arn ? (arn.split(':').pop() ?? null) : null;
}

function fieldValue(n: Notification, severity: Severity, field: string): string | null {
  if (field.startsWith('dimension:')) return n.dimensions[field.slice('dimension:'.length)] ?? null;
  if (field.startsWith('field:')) return n.source?.fields[field.slice('field:'.length)] ?? null;
  switch (field) {
    case 'account':
      return n.account;
    case 'region':
      return n.region;
    case 'topic':
      return topicName(n.sns?.topicArn);
    case 'namespace':
      return n.namespace;
    case 'metric':
      return n.metric;
    case 'source':
      return n.source?.name ?? n.kind;
    case 'alarmName':
      return n.alarmName;
    case 'severity':
      return severity;
    default:
      return null;
  }
}

const lower = (v: string | null | undefined) => (v ?? '').toLowerCase();

/**
 * The grouping for a notification, or null when it is not grouped: grouping off (everywhere or by a rule), or a
 * plain message (no state, no recovery: each one is its own incident).
 */
export function groupingFor(n: Notification, severity: Severity, policy: Policy): GroupingPlan | null {
  const g = policy.grouping;
  if (!g || g === 'off' || n.kind === 'message') return null;
  const ruleIndex = g.rules.findIndex(
    (r) =>
      (!r.alarmName || globMatches(r.alarmName, n.alarmName)) &&
      (!r.namespace || lower(r.namespace) === lower(n.namespace)) &&
      (!r.source || globMatches(r.source, n.source?.name ?? n.kind)),
  );
  const rule = ruleIndex >= 0 ? g.rules[ruleIndex] : null;
  if (rule?.grouping === 'off') return null;
  const by = rule?.by ?? g.by;
  const raw = `${ruleIndex >= 0 ? `rule${ruleIndex}` : 'default'}|${by.map((f) => `${f}=${fieldValue(n, severity, f) ?? '-'}`).join('|')}`;
  const key = Buffer.byteLength(raw, 'utf8') <= 512 ? raw : `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  return {
    key,
    window: rule?.window ?? g.window,
    maxAge: rule?.maxAge ?? g.maxAge,
    groupWait: rule?.groupWait ?? g.groupWait,
    groupInterval: rule?.groupInterval ?? g.groupInterval,
    maxMembers: g.maxMembers,
  };
}

/** The update timings of the policy's grouping (its defaults when grouping is off: a group stored before it was). */
export function groupTimings(policy: Policy): Pick<GroupingPlan, 'groupInterval' | 'maxMembers'> {
  const g = policy.grouping && policy.grouping !== 'off' ? policy.grouping : GROUPING_DEFAULTS;
  return { groupInterval: g.groupInterval, maxMembers: g.maxMembers };
}

/**
 * Which group a new alarm tries first: a group its composite's children fire in; the group it was last a member
 * of when that still is the key's open group (it fired again: it rejoins, whatever the window); the key's open
 * group while its window lasts; else a new group. Joining re-checks (resolved, full) under the incident's revision.
 */
export function candidateGroup(l: GroupLookup, now: string, maxAgeMinutes = Infinity): Candidate {
  if (l.childGroups.length > 0) return { kind: 'join', groupId: l.childGroups[0], why: 'composite' };
  // A child named by a composite that fired first joins the composite's group, whatever its own key.
  if (l.pointer && now < l.pointer.until) return { kind: 'join', groupId: l.pointer.groupId, why: 'composite' };
  // A member that fires again rejoins after the window, but not a group older than maxAge (then it pages anew).
  const young = l.record !== null && Date.parse(now) < Date.parse(l.record.openedAt) + maxAgeMinutes * 60_000;
  if (l.record && young && l.lastGroupId && l.record.groupId === l.lastGroupId) return { kind: 'join', groupId: l.record.groupId, why: 'rejoin' };
  if (l.record && now < l.record.windowEnd) return { kind: 'join', groupId: l.record.groupId, why: 'window' };
  return { kind: 'new' };
}

/** The record of a group opened now. */
export function openedRecord(plan: GroupingPlan, groupId: string, now: string, previous: GroupRecord | null): GroupRecord {
  return { groupKey: plan.key, groupId, openedAt: now, windowEnd: addMinutes(now, Math.min(plan.window, plan.maxAge)), version: (previous?.version ?? 0) + 1 };
}

/** The record after a member joined now, or null when its window moved less than a minute (not worth a write). */
export function extendedRecord(r: GroupRecord, plan: GroupingPlan, now: string): GroupRecord | null {
  const cap = addMinutes(r.openedAt, plan.maxAge);
  const wanted = addMinutes(now, plan.window);
  const windowEnd = wanted < cap ? wanted : cap;
  if (Date.parse(windowEnd) - Date.parse(r.windowEnd) < 60_000) return null;
  return { ...r, windowEnd, version: r.version + 1 };
}

/** The id of the n-th group an episode tries to open (0: the episode's own id, as an ungrouped incident's). */
export function groupIdFor(episodeId: string, attempt: number, derive: (suffix: string) => string): string {
  return attempt === 0 ? episodeId : derive(`#group${attempt}`);
}

export function memberFor(n: Notification, severity: Severity, episodeId: string, now: string): GroupMember {
  return {
    incidentKey: storedIncidentKey(n.incidentKey),
    alarmName: truncateUnits(n.alarmName, 256),
    severity,
    state: 'firing',
    episodeId,
    firedAt: n.changedAt,
    joinedAt: now,
    recoveredAt: null,
    fired: 1,
    reason: n.reason ? truncateUnits(n.reason, 300) : null,
  };
}

/** A new group's incident: the routed alarm as its first member; P1–P3 triggers wait `groupWait` (P0 pages at once). */
export function newGroupIncident(
  routed: Routed,
  member: GroupMember,
  plan: GroupingPlan,
  policy: Policy,
  opts: { claim: Claim; groupId: string; openedAt: string },
): Incident {
  const incident = newIncident(routed, opts.openedAt, policy, { claim: opts.claim, id: opts.groupId });
  incident.groupKey = plan.key;
  incident.members = [member];
  if (routed.classification.severity !== 'P0' && plan.groupWait > 0) {
    const due = addMinutes(opts.openedAt, plan.groupWait);
    for (const [k, d] of Object.entries(incident.deliveries)) if (d.status === 'pending') incident.deliveries[k] = scheduled(d, due);
  }
  return incident;
}

function scheduled(d: DeliveryRecord, due: string): DeliveryRecord {
  const { owner: _o, leaseUntil: _l, ...rest } = d;
  return { ...rest, status: 'scheduled', retryAt: due };
}

export type JoinResult =
  | { kind: 'joined'; incident: Incident; send: string[]; raised: boolean }
  /** This episode is a member already (a redelivery, or its OK got there first). */
  | { kind: 'already' }
  /** Resolved, or full: the alarm opens a new group. */
  | { kind: 'closed'; why: string };

export interface GroupChangeOptions {
  claim: Claim;
  policy: Policy;
  plan: Pick<GroupingPlan, 'groupInterval' | 'maxMembers'>;
  /** The Slack notifier posts later notices in the first message's thread (the Web API): updates go at once. */
  threads: boolean;
  by: string;
}

/** A member joins (or fires again in) the group: members, severity, channels, escalation and the notices that tell it. */
export function joinGroup(cur: Incident, member: GroupMember, routed: Routed, o: GroupChangeOptions): JoinResult {
  // An incident of its own (held back when it opened): the episode is there; another alarm's is not a group.
  if (!cur.members) return cur.id === member.episodeId ? { kind: 'already' } : { kind: 'closed', why: 'not a group' };
  const members = cur.members;
  if (members.some((m) => m.episodeId === member.episodeId)) return { kind: 'already' };
  if (cur.status === 'resolved') return { kind: 'closed', why: 'resolved' };
  const prior = members.find((m) => m.incidentKey === member.incidentKey);
  if (!prior && members.length >= o.plan.maxMembers) return { kind: 'closed', why: `full (${o.plan.maxMembers} members)` };
  // Whatever the members' key and name lengths, the incident must stay well within DynamoDB's 400 KB item.
  if (!prior && Buffer.byteLength(JSON.stringify(cur), 'utf8') > GROUP_SIZE_LIMIT) return { kind: 'closed', why: 'full (its record is near the store limit)' };
  const now = o.claim.now;
  const nextMembers = prior ? members.map((m) => (m === prior ? { ...m, ...member, joinedAt: m.joinedAt, fired: m.fired + 1 } : m)) : [...members, member];
  const severity = higher(cur.severity, member.severity);
  const raised = severity !== cur.severity;
  const channels = CHANNELS.filter((c) => cur.channels.includes(c) || (raised && routed.channels.includes(c))) as Channel[];
  const deliveries = { ...cur.deliveries };
  const send: string[] = [];
  const fresh = new Set<SendChannel>();
  if (raised) {
    for (const c of sendChannels(routed)) {
      const trigger = deliveries[deliveryKey('trigger', c)];
      if (!trigger) {
        deliveries[deliveryKey('trigger', c)] = pendingNotice({ event: 'trigger', channel: c }, o.claim);
        send.push(deliveryKey('trigger', c));
        fresh.add(c);
      }
    }
    if (raised) {
      // A raise notifies at once: a trigger still waiting for group_wait goes now.
      for (const [k, d] of Object.entries(deliveries)) {
        if (d.status === 'scheduled' && noticeTarget(k, d).event === 'trigger') {
          deliveries[k] = pendingNotice({ event: 'trigger', channel: noticeTarget(k, d).channel }, o.claim);
          send.push(k);
        }
      }
    }
  }
  const what = `${member.alarmName} (${member.severity}) ${prior ? 'fired again' : 'joined'}${raised ? `; severity raised to ${severity}` : ''}`;
  const updated = withUpdates({ ...cur, channels, deliveries }, what, fresh, o);
  send.push(...updated.send);
  const entry: TimelineEntry = { at: now, type: 'member', by: o.by, detail: truncateUnits(`${what}${member.reason ? `: ${member.reason}` : ''}`, 500) };
  const incident: Incident = {
    ...updated.incident,
    members: nextMembers,
    severity,
    escalation: raised && cur.status === 'open' ? escalationFor(severity, now, o.policy) : cur.escalation,
    timeline: boundTimeline([...cur.timeline, entry]),
    updatedAt: now > cur.updatedAt ? now : cur.updatedAt,
  };
  return { kind: 'joined', incident, send, raised };
}

export type RecoverResult =
  | { kind: 'recovered'; incident: Incident; send: string[]; resolved: boolean }
  /** Recovered already (a redelivered OK). */
  | { kind: 'unchanged' };

/**
 * A member's alarm recovered: the member is marked; when it was the last one firing, the group resolves with its
 * resolve notices (resolveWithNotices: the channels it was announced on, once); otherwise an update tells it. A
 * member the group does not have yet (its OK overtook its ALARM's join) is added as recovered, so that the join finds
 * it and does nothing.
 */
export function recoverMember(cur: Incident, member: GroupMember, resolve: ResolveInput, o: GroupChangeOptions): RecoverResult {
  const now = o.claim.now;
  const members = cur.members ?? [];
  const found = members.find((m) => m.episodeId === member.episodeId);
  if (found?.state === 'recovered') return { kind: 'unchanged' };
  // The alarm fired again since (a later episode is the member now): this OK is about the earlier one, already over.
  if (!found && members.some((m) => m.incidentKey === member.incidentKey)) return { kind: 'unchanged' };
  const recovered: GroupMember = { ...(found ?? member), state: 'recovered', recoveredAt: now };
  const nextMembers = found ? members.map((m) => (m === found ? recovered : m)) : [...members, recovered];
  const entry: TimelineEntry = {
    at: now,
    type: 'member',
    by: resolve.by,
    detail: found ? `${member.alarmName} recovered` : `${member.alarmName} recovered before it joined the group; not announced`,
  };
  const base: Incident = {
    ...cur,
    members: nextMembers,
    timeline: boundTimeline([...cur.timeline, entry]),
    updatedAt: now > cur.updatedAt ? now : cur.updatedAt,
  };
  if (cur.status === 'resolved' || !found) return { kind: 'recovered', incident: base, send: [], resolved: false };
  if (nextMembers.every((m) => m.state === 'recovered')) {
    const r = resolveWithNotices(base, resolve)!;
    return { kind: 'recovered', incident: r.incident, send: r.send, resolved: true };
  }
  const firing = nextMembers.filter((m) => m.state === 'firing').length;
  const updated = withUpdates(base, `${member.alarmName} recovered (${firing} still firing)`, new Set(), o);
  return { kind: 'recovered', incident: updated.incident, send: updated.send, resolved: false };
}

/** Episodes still firing in the group (a person's resolve ends each of them). */
export function firingMembers(i: Incident): GroupMember[] {
  return (i.members ?? []).filter((m) => m.state === 'firing');
}

const UPDATE_NOTE_MAX = 1000;
/** Bytes of JSON (UTF-8) a group may reach before it refuses new members (a DynamoDB item holds 400 KB). */
export const GROUP_SIZE_LIMIT = 250_000;
/** Finished update notices a channel keeps on the incident (older ones are dropped: they are on the timeline). */
const UPDATES_KEPT = 20;

/**
 * Records the update notices that tell `what` on every channel that announced the group (or is announcing it):
 * a Slack thread reply at once; otherwise one batch per channel at most every `groupInterval`, a batch still waiting
 * taking the new line. PagerDuty gets none (a severity raise is a trigger), nor a channel whose trigger still waits
 * for group_wait (it will name every member when it goes), nor one just triggered (`fresh`).
 */
function withUpdates(cur: Incident, what: string, fresh: Set<SendChannel>, o: GroupChangeOptions): { incident: Incident; send: string[] } {
  const deliveries = { ...cur.deliveries };
  const send: string[] = [];
  const now = o.claim.now;
  for (const c of cur.channels) {
    if (!isSendChannel(c) || c === 'pagerduty' || fresh.has(c)) continue;
    const trigger = deliveries[deliveryKey('trigger', c)];
    if (!trigger || trigger.status === 'scheduled' || trigger.status === 'skipped' || (trigger.status === 'failed' && trigger.retryable === false)) continue;
    const updates = Object.entries(deliveries).filter(([k, d]) => noticeTarget(k, d).channel === c && noticeTarget(k, d).event === 'update');
    // Not sent yet (scheduled, or waiting for the notice before it): it takes the new line.
    const waiting = updates.find(([, d]) => d.status === 'scheduled' || (d.status === 'pending' && d.after));
    if (waiting) {
      const [k, d] = waiting;
      deliveries[k] = { ...d, note: appendLine(d.note, what) };
      continue;
    }
    const key = deliveryKey('update', c, String(Math.max(0, ...updates.map(([k]) => updateNumber(k))) + 1));
    const finished = updates.filter(([, u]) => isFinished(u)).sort(([a], [b]) => updateNumber(a) - updateNumber(b));
    for (const [old] of finished.slice(0, Math.max(0, finished.length - UPDATES_KEPT))) delete deliveries[old];
    const spec = { event: 'update' as const, channel: c, note: appendLine(undefined, what) };
    const immediate = c === 'slack' && o.threads;
    const lastSent = latestSend(deliveries, c);
    const due = immediate || !lastSent ? now : maxIso(now, addMinutes(lastSent, o.plan.groupInterval));
    const d = pendingNotice(spec, o.claim);
    const inFlight = updates.find(([, u]) => u.status === 'pending' && !u.after && (u.leaseUntil ?? '') > now);
    if (trigger.status === 'pending' && (trigger.leaseUntil ?? '') > now) {
      // The first message is still in flight: the update follows it (sent by its sender once it landed).
      deliveries[key] =
        due > now ? scheduled(d, due) : { ...d, after: deliveryKey('trigger', c), owner: trigger.owner, leaseUntil: trigger.leaseUntil, announced: true };
    } else if (due > now) deliveries[key] = scheduled(d, due);
    else if (inFlight) {
      // An update is being sent on the channel: this one follows it from the same sender, taking the lines that
      // come meanwhile (one thread reply per send, not one per member, in a storm).
      const [leader, l] = inFlight;
      deliveries[key] = { ...d, after: leader, owner: l.owner, leaseUntil: l.leaseUntil, announced: true };
    } else {
      deliveries[key] = d;
      send.push(key);
    }
  }
  return { incident: { ...cur, deliveries }, send };
}

/** The sequence number of an update notice's key (`update#3:slack` → 3). */
function updateNumber(key: string): number {
  return Number(/#(\d+):/.exec(key)?.[1] ?? 0);
}

function appendLine(note: string | undefined, line: string): string {
  const next = note ? `${note}; ${line}` : line;
  return next.length > UPDATE_NOTE_MAX ? `${truncateUnits(next, UPDATE_NOTE_MAX - 12)} (and more)` : next;
}

/** When the channel last sent (or began sending) a trigger or update of this incident. */
function latestSend(deliveries: Record<string, DeliveryRecord>, c: SendChannel): string | null {
  let latest: string | null = null;
  for (const [k, d] of Object.entries(deliveries)) {
    const t = noticeTarget(k, d);
    if (t.channel !== c || (t.event !== 'trigger' && t.event !== 'update')) continue;
    if (d.status === 'scheduled' || (isFinished(d) && d.status !== 'delivered')) continue;
    if (!latest || d.at > latest) latest = d.at;
  }
  return latest;
}

const maxIso = (a: string, b: string) => (a > b ? a : b);

/** The alarm ARN an incident key names: the key itself, or a contributor's alarm (`contributor:<id>@<arn>`). */
export function alarmArnOfKey(key: string): string | null {
  const alarm = key.startsWith('contributor:') ? key.slice(key.indexOf('@') + 1) : key;
  return alarm.startsWith('arn:') ? alarm : null;
}

/** The id of the incident a member is split out into (the same for every try, so a retry finds it). */
export function splitIncidentId(member: GroupMember): string {
  return incidentId(`${member.incidentKey}#split`, member.firedAt);
}

/**
 * A person splits a firing member out of its group into an incident of its own: the group loses the member (and
 * says so in an update; it resolves if no other member fires), the new incident is announced as any new one.
 */
export function splitMember(
  group: Incident,
  incidentKey: string,
  o: { claim: Claim; policy: Policy; by: string; threads: boolean; plan: Pick<GroupingPlan, 'groupInterval' | 'maxMembers'>; resolve: ResolveInput },
): { kind: 'split'; group: Incident; send: string[]; member: GroupMember; incident: Incident } | { kind: 'refused'; why: string } {
  const member = group.members?.find((m) => m.incidentKey === incidentKey);
  if (!member) return { kind: 'refused', why: 'no such member' };
  if (group.status === 'resolved') return { kind: 'refused', why: 'the group is resolved' };
  if (member.state !== 'firing') return { kind: 'refused', why: `${member.alarmName} has recovered` };
  if ((group.members ?? []).length < 2) return { kind: 'refused', why: 'the group has no other member' };
  const now = o.claim.now;
  const id = splitIncidentId(member);
  const members = group.members!.filter((m) => m !== member);
  const entry: TimelineEntry = { at: now, type: 'member', by: o.by, detail: `${member.alarmName} split out into ${id}` };
  let next: Incident = { ...group, members, timeline: boundTimeline([...group.timeline, entry]), updatedAt: now > group.updatedAt ? now : group.updatedAt };
  let send: string[];
  if (members.every((m) => m.state === 'recovered')) {
    const r = resolveWithNotices(next, o.resolve)!;
    next = r.incident;
    send = r.send;
  } else {
    const u = withUpdates(next, `${member.alarmName} split out into ${id}`, new Set(), o);
    next = u.incident;
    send = u.send;
    // Its severity is its members' highest again: a lower one runs its own escalation chain from now.
    const severity = members.map((x) => x.severity).reduce(higher);
    if (severity !== next.severity) next = { ...next, severity, escalation: next.status === 'open' ? escalationFor(severity, now, o.policy) : next.escalation };
  }
  const channels = o.policy.severities[member.severity].channels;
  // The group's alarm facts are its first alarm's: only what the member shares with it is kept (where, which topic).
  const alarm: Incident['alarm'] = {
    ...group.alarm,
    alarmArn: alarmArnOfKey(member.incidentKey),
    description: null,
    reason: member.reason,
    changedAt: member.firedAt,
    state: 'ALARM',
    previousState: null,
    rawState: 'ALARM',
    namespace: null,
    metric: null,
    dimensions: {},
    threshold: null,
    comparison: null,
    evaluationPeriods: null,
    period: null,
    statistic: null,
    expression: null,
    alarmRule: null,
    triggeringChildren: [],
  };
  const deliveries: Record<string, DeliveryRecord> = {};
  for (const c of channels.filter(isSendChannel)) deliveries[deliveryKey('trigger', c)] = pendingNotice({ event: 'trigger', channel: c }, o.claim);
  const incident: Incident = {
    id,
    incidentKey: member.incidentKey,
    alarmName: member.alarmName,
    severity: member.severity,
    classifiedBy: group.classifiedBy,
    status: 'open',
    openedAt: now,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    channels,
    runbook: group.runbook,
    alarm,
    deliveries,
    timeline: [{ at: now, type: 'opened', by: o.by, detail: `split out of ${group.id} (${member.alarmName} fired at ${member.firedAt})` }],
    escalation: escalationFor(member.severity, now, o.policy),
    silencedBy: null,
    flapping: false,
    duplicates: 0,
    updatedAt: now,
    rev: 1,
  };
  return { kind: 'split', group: next, send, member, incident };
}
