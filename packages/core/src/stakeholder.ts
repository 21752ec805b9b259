/**
 * Stakeholder updates (runbook step 3, "Communication": update the incident channel, notify stakeholders).
 * A person posts one from Slack (`/incident update ID text`) or the dashboard; it goes on the incident's
 * timeline, to the incident channel, and for P0/P1 to the stakeholder email list. It never pages anyone.
 */
import type { Incident, TimelineEntry } from './incident';
import type { Policy } from './policy';
import type { Bulletin } from './render/bulletin';
import { headerSafe } from './render/escape';
import { formatTime, severityLabel } from './render/format';
import type { Severity } from './types';

/** Severities whose updates are also emailed to STAKEHOLDER_EMAILS. */
export const STAKEHOLDER_EMAIL_SEVERITIES: readonly Severity[] = ['P0', 'P1'];
export const UPDATE_TEXT_LIMIT = 1000;
/** An incident's timeline takes at most this many entries through updates (the item stays far below 400 KB). */
export const TIMELINE_LIMIT_FOR_UPDATES = 500;

/** The text as stored: controls stripped, one paragraph, trimmed; null when empty or too long. */
export function updateText(raw: unknown): { ok: true; text: string } | { ok: false; problem: string } {
  const text = typeof raw === 'string' ? headerSafe(raw) : '';
  if (!text) return { ok: false, problem: 'an update needs some text' };
  if (text.length > UPDATE_TEXT_LIMIT) return { ok: false, problem: `the update is longer than ${UPDATE_TEXT_LIMIT} characters` };
  return { ok: true, text };
}

export function updateEntry(at: string, by: string, text: string): TimelineEntry {
  return { at, type: 'update', by, detail: text };
}

export function emailsStakeholders(severity: Severity): boolean {
  return STAKEHOLDER_EMAIL_SEVERITIES.includes(severity);
}

export function stakeholderBulletin(i: Incident, update: { at: string; who: string; text: string }, policy: Policy, dashboardUrl: string | null): Bulletin {
  const state =
    i.status === 'resolved' ? `resolved ${formatTime(i.resolvedAt)}` : i.status === 'acknowledged' ? `acknowledged ${formatTime(i.acknowledgedAt)}` : 'open';
  return {
    subject: `[${i.severity}] Update on ${i.id}: ${i.alarmName}`,
    intro: update.text,
    sections: [
      {
        title: 'Incident',
        lines: [
          `${i.id} · ${i.alarmName}`,
          `Severity ${i.severity} ${severityLabel(i.severity, policy)} · ${state}`,
          `Opened ${formatTime(i.openedAt)}`,
          `Update by ${update.who} at ${formatTime(update.at)}`,
        ],
      },
    ],
    link: dashboardUrl ? { text: 'The incident on the dashboard', url: `${dashboardUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(i.id)}` } : null,
  };
}
