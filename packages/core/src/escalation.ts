import { nextBusinessDayDeadline } from './business-calendar';
import { addMinutes } from './clock';
import type { EscalationState, Incident } from './incident';
import type { Policy } from './policy';
import type { Silence } from './silence';
import type { SendChannel } from './types';

export type EscalationPlan =
  | { kind: 'none'; why: 'not-due' | 'acknowledged' | 'resolved' | 'silenced' | 'no-chain' | 'exhausted' }
  | {
      kind: 'step';
      /** The state the plan starts from: the guard of the conditional write. */
      from: EscalationState;
      step: number;
      count: number;
      tier: string;
      notify: SendChannel[];
      next: EscalationState;
    };

function waitAfter(afterMinutes: number | null, now: string, policy: Policy): string {
  if (afterMinutes !== null) return addMinutes(now, afterMinutes);
  return nextBusinessDayDeadline(now, policy);
}

/**
 * What a scheduled run does with one incident: nothing (acknowledged, resolved, silenced meanwhile, not yet
 * due, chain exhausted), or run the current step — notify its channels for its tier — and move on: the same
 * step again until it ran `repeat` times, then the next tier; the chain ends with no next time.
 * `silencedNow` is a silence in force at `now` that matches the incident's alarm (created after it opened):
 * a due step is held — the escalation state is left as it is, so the step runs on the first run after the
 * silence ends.
 */
export function planEscalation(incident: Incident, now: string, policy: Policy, silencedNow: Silence | null = null): EscalationPlan {
  if (incident.status === 'resolved') return { kind: 'none', why: 'resolved' };
  if (incident.status === 'acknowledged') return { kind: 'none', why: 'acknowledged' };
  if (incident.silencedBy) return { kind: 'none', why: 'silenced' };
  const e = incident.escalation;
  if (!e || e.chain.length === 0) return { kind: 'none', why: 'no-chain' };
  if (!e.nextAt || e.step >= e.chain.length) return { kind: 'none', why: 'exhausted' };
  if (e.nextAt > now) return { kind: 'none', why: 'not-due' };
  if (silencedNow) return { kind: 'none', why: 'silenced' };
  const current = e.chain[e.step];
  const ran = e.count + 1;
  let next: EscalationState;
  if (ran < current.repeat) {
    next = { ...e, count: ran, nextAt: waitAfter(current.afterMinutes, now, policy) };
  } else if (e.step + 1 < e.chain.length) {
    const following = e.chain[e.step + 1];
    next = { ...e, step: e.step + 1, count: 0, nextAt: waitAfter(following.afterMinutes, now, policy) };
  } else {
    next = { ...e, step: e.chain.length, count: 0, nextAt: null };
  }
  return { kind: 'step', from: e, step: e.step, count: e.count, tier: current.tier, notify: current.notify, next };
}

/** Flapping: more state changes than `transitions` within `windowMinutes` (policy.flapping). */
export function flapState(
  previousChanges: string[],
  change: string,
  policy: Policy,
): { changes: number; flapping: boolean; wasFlapping: boolean; recent: string[] } {
  const from = addMinutes(change, -policy.flapping.windowMinutes);
  const recent = [...previousChanges.filter((t) => t >= from && t < change), change];
  const limit = policy.flapping.transitions;
  return { changes: recent.length, flapping: recent.length > limit, wasFlapping: recent.length - 1 > limit, recent };
}
