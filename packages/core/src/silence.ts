import { globMatches } from './glob';
import type { Notification } from './types';

/** A silence: matching alarms are still recorded and shown, but not notified, until it ends. */
export interface Silence {
  id: string;
  /** Alarm name pattern (see glob.ts): `*` any run, `?` one character, case-insensitive (`Database*`, `*-staging`). */
  match: string;
  reason: string;
  author: string;
  startsAt: string;
  endsAt: string;
  createdAt: string;
  /** Set when ended early (unsilence). */
  endedBy?: string;
}

export function silenceIsActive(s: Silence, now: string): boolean {
  return s.startsAt <= now && now < s.endsAt && !s.endedBy;
}

export function silenceMatches(s: Silence, alarmName: string): boolean {
  return globMatches(s.match, alarmName);
}

/** The first active silence that matches the notification's alarm, as `id (author: reason)`. */
export function matchingSilence(silences: Silence[], n: Pick<Notification, 'alarmName'>, now: string): Silence | null {
  return silences.find((s) => silenceIsActive(s, now) && silenceMatches(s, n.alarmName)) ?? null;
}

export function describeSilence(s: Silence): string {
  return `${s.id} by ${s.author} until ${s.endsAt}: ${s.reason}`;
}

/** `30m`, `2h`, `1d`, `1h30m` → minutes; null when not a duration. Silences are capped at 30 days. */
export function parseDuration(text: string): number | null {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/i.exec(text.trim());
  if (!m || (!m[1] && !m[2] && !m[3])) return null;
  const minutes = Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return minutes > 0 && minutes <= 30 * 1440 ? minutes : null;
}
