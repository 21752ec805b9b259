/**
 * Interactivity: the Acknowledge / Resolve buttons of pipeline messages (`block_actions`, action_id
 * `incident_ack` / `incident_resolve`, value = incident id). A press does what the command does, then the
 * original message is replaced through response_url: buttons removed, a context line saying who did it.
 */
import { ACK_ACTION_ID, normaliseIncidentId, RESOLVE_ACTION_ID } from '@alert-router/core';
import { acknowledgeIncident, resolveIncident, type ActionResult } from '../actions';
import type { Runtime } from '../runtime';
import { slackActor } from './commands';
import { buttonOutcomeLine, deliveryWarning, ephemeral, incidentRef, notFoundReply, pressedLine, updatedMessage, type SlackReply } from './replies';
import { postToResponseUrl, slackRuntime } from './timing';

interface BlockAction {
  action_id?: unknown;
  value?: unknown;
}

export interface BlockActionsPayload {
  type: 'block_actions';
  user?: { id?: unknown; username?: unknown; name?: unknown };
  response_url?: unknown;
  actions?: BlockAction[];
  message?: { text?: unknown; blocks?: unknown; attachments?: unknown };
}

export type InteractionOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'not-found'; id: string }
  | { kind: 'acted'; action: 'ack' | 'resolve'; result: ActionResult['kind']; incidentId: string; messageUpdated: boolean };

/** The `payload` form field, parsed; null when it is not a JSON object. */
export function parseInteractionPayload(raw: string | null): Record<string, unknown> | null {
  if (!raw) return null;
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export async function handleInteraction(rt: Runtime, payload: Record<string, unknown>): Promise<InteractionOutcome> {
  if (payload.type !== 'block_actions') return { kind: 'ignored', reason: `interaction type ${String(payload.type)}` };
  const p = payload as unknown as BlockActionsPayload;
  const action = (Array.isArray(p.actions) ? p.actions : []).find((a) => a && (a.action_id === ACK_ACTION_ID || a.action_id === RESOLVE_ACTION_ID));
  if (!action) return { kind: 'ignored', reason: 'no incident action' };
  const kind = action.action_id === ACK_ACTION_ID ? 'ack' : 'resolve';
  const id = normaliseIncidentId(str(action.value));
  const userId = str(p.user?.id);
  if (!id || !userId) {
    await postToResponseUrl(rt, p.response_url, {
      ...ephemeral(':warning: This button does not name an incident (or Slack did not say who pressed it); nothing was done.'),
      replace_original: false,
    });
    return { kind: 'ignored', reason: id ? 'no user' : 'no incident id' };
  }
  const actor = slackActor(userId, str(p.user?.username) || str(p.user?.name));
  const srt = slackRuntime(rt);
  const result = kind === 'ack' ? await acknowledgeIncident(srt, id, actor, { skip: ['slack'] }) : await resolveIncident(srt, id, actor, { skip: ['slack'] });

  if (result.kind === 'not-found') {
    await postToResponseUrl(rt, p.response_url, { ...notFoundReply(id), replace_original: false });
    return { kind: 'not-found', id };
  }
  const i = result.incident;
  // Done by this press: "Acknowledged by @alice at …". Otherwise someone got there first: show what is true
  // now (and, to the presser only, why nothing happened).
  const line = result.kind === 'done' ? pressedLine(kind, i, actor) : buttonOutcomeLine(i);
  const message = updatedMessage(p.message, line, `${incidentRef(i)}`);
  const updates: Promise<boolean>[] = [postToResponseUrl(rt, p.response_url, message)];
  if (result.kind !== 'done') {
    const note: SlackReply = ephemeral(
      `:information_source: ${incidentRef(i)} was already ${i.status === 'resolved' ? 'resolved' : 'acknowledged'}: ${buttonOutcomeLine(i).replace(/^:\w+: /, '')}.`,
    );
    updates.push(postToResponseUrl(rt, p.response_url, { ...note, replace_original: false }));
  } else {
    const warning = deliveryWarning(i, kind === 'ack' ? 'acknowledge' : 'resolve').trim();
    if (warning) updates.push(postToResponseUrl(rt, p.response_url, { ...ephemeral(warning), replace_original: false }));
  }
  const [messageUpdated] = await Promise.all(updates);
  return { kind: 'acted', action: kind, result: result.kind, incidentId: id, messageUpdated };
}
