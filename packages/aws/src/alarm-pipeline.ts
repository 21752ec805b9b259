import type { DeliveryRecord, Incident } from '@alert-router/core/incident';
import { groupingFor } from '@alert-router/core/grouping';
import { episodeId, isRecovery, latchKey } from '@alert-router/core/lifecycle';
import { unfinishedNotices } from '@alert-router/core/notices';
import type { Routed } from '@alert-router/core/route';
import type { Channel, Notification } from '@alert-router/core/types';
import {
  claimDue,
  classifyStage,
  fanOut,
  holdBack,
  latchProblem,
  latchRecovery,
  recordEpisode,
  recordResolve,
  type Episode,
  type LatchStep,
  type PipelineDeps,
} from './alarm-stages';
import type { SendReport } from './delivery';
import { groupIntent, recordInGroup, reserveGroup, type GroupIntent } from './group-stages';

export type { Deliver, PipelineLogger, PipelineMetrics } from './delivery';
export type { PipelineDeps } from './alarm-stages';

export type OutcomeKind = 'opened' | 'duplicate' | 'redelivery' | 'resent' | 'in-progress' | 'stale' | 'resolved' | 'recovered' | 'no-episode' | 'held';

export interface Outcome {
  kind: OutcomeKind;
  incidentId: string | null;
  severity: string;
  channels: Channel[];
  deliveries: Record<string, DeliveryRecord>;
  /** Some notice failed and will be resent: the invocation should fail so that SNS / Lambda retries it too. */
  retryableFailure: boolean;
}

type Base = Pick<Outcome, 'severity' | 'channels'>;

const settled = (kind: OutcomeKind, incidentId: string | null, base: Base): Outcome => ({ kind, incidentId, ...base, deliveries: {}, retryableFailure: false });
const sent = (kind: OutcomeKind, incidentId: string, base: Base, report: SendReport): Outcome => ({
  kind,
  incidentId,
  ...base,
  deliveries: report.deliveries,
  retryableFailure: report.retryableFailure,
});

/**
 * The alarm path, its stages composed (alarm-stages.ts): classify → latch (the one conditional write: new episode?
 * duplicate? redelivery?) → hold back (silence / flapping) → record (the incident with its notices pending: nothing
 * is sent before the record of it is stored) → fan-out (outcomes recorded). A stage that settles the delivery ends it.
 */
export async function processNotification(n: Notification, deps: PipelineDeps): Promise<Outcome> {
  const routed = classifyStage(n, deps);
  const base: Base = { severity: routed.classification.severity, channels: routed.channels };
  deps.metrics.count('AlarmsReceived', 1, { severity: base.severity });
  // CloudWatch ran no action for this change (Notification.actionsHeld): neither does the router. Nothing is
  // recorded, so the change CloudWatch sends when the hold ends opens the episode and pages; a recovery still
  // resolves whatever is open.
  if (n.actionsHeld && !isRecovery(n)) return settled('held', null, base);
  // Grouped: the key's open group and the silences, read side by side before the latch write, which records both
  // decisions (the group to join, or held back on its own) for every copy of the delivery to follow.
  const plan = isRecovery(n) ? null : groupingFor(n, routed.classification.severity, deps.policy);
  const [intent, silenced] = plan ? await Promise.all([groupIntent(n, plan, deps), deps.silencedBy?.(n, base.severity) ?? null]) : [null, null];
  // Only a delivery that can open an episode reserves a group (a copy, a redelivery or a newer change of an open
  // episode would otherwise point the key's record at a group of its own).
  const canOpen = intent && !intent.latch?.openId && !(intent.latch && intent.latch.lastChange >= n.changedAt);
  const decided = intent && { groupId: silenced || !canOpen ? undefined : await reserveGroup(n, intent, episodeId(n), deps), solo: Boolean(silenced) };
  const latched = isRecovery(n) ? await latchRecovery(n, deps) : await latchProblem(n, routed, deps, decided ?? undefined);
  const [outcome] = await Promise.all([afterLatch(n, routed, latched.step, intent, deps, base), latched.trimming]);
  return outcome;
}

function afterLatch(n: Notification, routed: Routed, step: LatchStep, intent: GroupIntent | null, deps: PipelineDeps, base: Base): Promise<Outcome> {
  switch (step.next) {
    case 'done':
      return Promise.resolve(settled(step.kind, step.incidentId, base));
    case 'resend':
      return resendDue(step.incident, deps, base);
    case 'open':
      return open(n, routed, step.episode, step.kind, intent, deps, base);
    case 'resolve':
      return resolve(n, routed, step, deps, base);
  }
}

async function open(
  n: Notification,
  routed: Routed,
  episode: Episode,
  kind: 'opened' | 'resent',
  intent: GroupIntent | null,
  deps: PipelineDeps,
  base: Base,
): Promise<Outcome> {
  const now = deps.now().toISOString();
  const held = await holdBack(n, episode.flips, routed.classification.severity, now, deps);
  // A grouped alarm joins its group unless the latch says it was held back when it opened, or it still flaps (the
  // same for every copy: both come from the latch); a silence that began since does not take it out of its group.
  if (intent && !episode.solo && !held.stillFlapping) {
    const g = await recordInGroup(n, routed, episode, intent, deps);
    if (g.kind === 'over') return settled('no-episode', episode.id, base);
    if (g.kind === 'member') return resendDue(g.stored, deps, base);
    return sent(kind, g.incident.id, base, await fanOut(deps, g.incident, g.owner, g.send));
  }
  // Held back (silenced, flapping): its own incident, not a group's; the latch names it before it is stored.
  const current = episode.groupId ?? episode.id;
  if (current !== episode.id && !(await deps.store.setLatchGroup(latchKey(n), episode.id, current, episode.id))) {
    const latch = await deps.store.getLatch(latchKey(n));
    if (latch?.openId !== episode.id) return settled('no-episode', episode.id, base);
    const stored = (latch.groupId ?? latch.openId) !== episode.id ? await deps.store.getIncident(latch.groupId!) : null;
    if (stored) return resendDue(stored, deps, base);
  }
  const rec = await recordEpisode(routed, episode, held, { opened: kind === 'opened', now }, deps);
  if (!rec.created) return resendDue(rec.stored, deps, base);
  return sent(kind, rec.incident.id, base, await fanOut(deps, rec.incident, rec.owner, rec.send));
}

async function resolve(n: Notification, routed: Routed, episode: Extract<LatchStep, { next: 'resolve' }>, deps: PipelineDeps, base: Base): Promise<Outcome> {
  const rec = await recordResolve(n, routed, episode, deps);
  if (rec.kind === 'stored-resolved') return settled('resolved', episode.id, base);
  if (rec.kind === 'already-resolved') return resendDue(rec.incident, deps, base);
  if (rec.kind === 'recovered') return sent('recovered', rec.incident.id, base, await fanOut(deps, rec.incident, rec.owner, rec.send));
  return sent('resolved', episode.id, base, await fanOut(deps, rec.incident, rec.owner, rec.send));
}

/** A redelivery finds its incident stored: it sends what is due (failed and due again, or abandoned by a dead sender). */
async function resendDue(incident: Incident, deps: PipelineDeps, base: Base): Promise<Outcome> {
  const claimed = await claimDue(incident, deps);
  if (claimed.send.length > 0) {
    deps.metrics.count('DeliveriesRetried', claimed.send.length);
    return sent('resent', incident.id, base, await fanOut(deps, claimed.incident, claimed.owner, claimed.send));
  }
  // Anything still unfinished is recorded with its lease or retry time: the sweep sends it if nobody else does.
  const kind = unfinishedNotices(claimed.incident).length > 0 ? 'in-progress' : 'redelivery';
  if (kind === 'redelivery') deps.metrics.count('Deduplicated');
  return settled(kind, incident.id, base);
}
