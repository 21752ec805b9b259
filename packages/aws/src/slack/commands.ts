/** `/incident …`: one signed slash-command request → one reply (see timing.ts for the 3-second rule). */
import { parseIncidentCommand, type IncidentCommand } from '@alert-router/core';
import { acknowledgeIncident, actorLabel, resolveIncident, type Actor } from '../actions';
import { scanUnresolved } from '../api/unresolved-scan';
import { loadReview } from '../review/review';
import { postStakeholderUpdate } from '../review/updates';
import type { Runtime } from '../runtime';
import { reviewReply, updateReply } from './review-replies';
import {
  acknowledgedText,
  alreadyAcknowledgedText,
  alreadyResolvedText,
  deliveryWarning,
  ephemeral,
  helpReply,
  inChannel,
  listReply,
  notFoundReply,
  resolvedText,
  showReply,
  silencedText,
  unsilencedText,
  type SlackReply,
} from './replies';
import { SLACK_CHANNEL_BUDGET_MS, slackRuntime } from './timing';

/** Most unresolved incidents `/incident list` reads (the newest; with more, the reply says "N+"). */
export const LIST_SCAN = 500;

/** The form fields of a slash command that we use. */
export interface SlashCommandForm {
  command: string;
  text: string;
  userId: string;
  userName: string;
  responseUrl: string | null;
}

export function slashCommandForm(form: URLSearchParams): SlashCommandForm {
  return {
    command: form.get('command') || '/incident',
    text: form.get('text') ?? '',
    userId: form.get('user_id') ?? '',
    userName: form.get('user_name') ?? '',
    responseUrl: form.get('response_url'),
  };
}

export function slackActor(userId: string, userName: string): Actor {
  return { id: userId || 'unknown', name: userName || userId || 'unknown', via: 'slack' };
}

/** Runs one command. Throws only on infrastructure failures (the route turns those into a polite reply). */
export async function runSlashCommand(rt: Runtime, form: SlashCommandForm): Promise<SlackReply> {
  const cmd = parseIncidentCommand(form.text);
  if (cmd.kind === 'help') return helpReply(cmd.problem, form.command);
  if (!form.userId) return ephemeral(':warning: Slack did not say who you are (no user_id); nothing was done.');
  return execute(slackRuntime(rt), cmd, slackActor(form.userId, form.userName));
}

/**
 * Channels a command's ack or resolve is not sent to: the webhook's notice would only repeat the command's own
 * reply, but the Web API threads it under the incident's message and edits that message in place.
 */
function commandSkips(rt: Runtime): ['slack'] | [] {
  return rt.notifiers.slack.threads === true ? [] : ['slack'];
}

async function execute(rt: Runtime, cmd: Exclude<IncidentCommand, { kind: 'help' }>, actor: Actor): Promise<SlackReply> {
  const now = rt.now();
  switch (cmd.kind) {
    case 'ack': {
      const r = await acknowledgeIncident(rt, cmd.id, actor, { skip: commandSkips(rt) });
      if (r.kind === 'not-found') return notFoundReply(cmd.id);
      if (r.kind === 'already-resolved') return ephemeral(`:information_source: ${alreadyResolvedText(r.incident)} Nothing to acknowledge.`);
      if (r.kind === 'already-acknowledged') return ephemeral(`:information_source: ${alreadyAcknowledgedText(r.incident)}`);
      return inChannel(acknowledgedText(r.incident, actor) + deliveryWarning(r.incident, 'acknowledge'));
    }
    case 'resolve': {
      const r = await resolveIncident(rt, cmd.id, actor, { note: cmd.note ?? undefined, skip: commandSkips(rt) });
      if (r.kind === 'not-found') return notFoundReply(cmd.id);
      if (r.kind === 'already-resolved') return ephemeral(`:information_source: ${alreadyResolvedText(r.incident)}`);
      if (r.kind === 'already-acknowledged') {
        // resolveIncident reports a lost race this way; read again to say what it is now.
        return ephemeral(`:information_source: ${r.incident.status === 'resolved' ? alreadyResolvedText(r.incident) : alreadyAcknowledgedText(r.incident)}`);
      }
      return inChannel(resolvedText(r.incident, actor, cmd.note) + deliveryWarning(r.incident, 'resolve'));
    }
    case 'list': {
      const r = await scanUnresolved(rt.store, (i) => !cmd.severity || i.severity === cmd.severity, { page: LIST_SCAN, scan: LIST_SCAN });
      return listReply(r.matched, cmd.severity, now, rt.config.dashboardUrl, !r.exhausted);
    }
    case 'show': {
      const i = await rt.store.getIncident(cmd.id);
      if (!i) return notFoundReply(cmd.id);
      const links = rt.links(i);
      return showReply(i, now, { dashboard: links.dashboard, console: links.console, consoleLabel: links.consoleLabel });
    }
    case 'review': {
      const r = await loadReview(rt, cmd.id);
      return r ? reviewReply(r.model, rt.config.dashboardUrl) : notFoundReply(cmd.id);
    }
    case 'update': {
      const budgetMs = SLACK_CHANNEL_BUDGET_MS;
      const r = await postStakeholderUpdate(rt, cmd.id, actor, cmd.text, { retry: { budgetMs, attemptTimeoutMs: budgetMs } });
      if (r.kind === 'not-found') return notFoundReply(cmd.id);
      if (r.kind === 'timeline-full') return ephemeral(`:warning: ${cmd.id} has too many timeline entries for more updates.`);
      return updateReply(r.incident, r.sent, rt.config.stakeholderEmails.length);
    }
    case 'silence': {
      const s = await rt.silences.create({ match: cmd.match, reason: cmd.reason, author: actorLabel(actor), minutes: cmd.minutes, now: now.toISOString() });
      await refreshSilences(rt);
      rt.logger.info('silence created from slack', { id: s.id, match: s.match, minutes: cmd.minutes, author: s.author });
      return inChannel(silencedText(s, actor));
    }
    case 'unsilence': {
      const s = await rt.silences.end(cmd.id, actorLabel(actor), now.toISOString());
      if (!s) return ephemeral(`:mag: No active silence *${cmd.id}* (it may have ended already).`);
      await refreshSilences(rt);
      rt.logger.info('silence ended from slack', { id: s.id, by: actorLabel(actor) });
      return inChannel(unsilencedText(s, actor));
    }
  }
}

/**
 * This process's alarm path sees the change at once (the local server runs every handler in one process).
 * In AWS the alarm function is another container: its cache refreshes within its max age (15 s).
 */
async function refreshSilences(rt: Runtime): Promise<void> {
  rt.silenceCache.invalidate();
  try {
    await rt.silenceCache.refresh();
  } catch (err) {
    rt.logger.warn('silence cache refresh failed; it will refresh on the next alarm', { error: (err as Error).message });
  }
}
