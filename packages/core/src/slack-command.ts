/**
 * The `/incident` slash command's text → a typed command. Pure: no I/O, no Slack HTTP details.
 *
 *   ack ID · resolve ID [note] · list [P0|P1|P2|P3] · show ID
 *   silence ALARM-PATTERN DURATION REASON · unsilence SILENCE-ID · review ID · update ID TEXT · help
 *
 * Anything else is `{ kind: 'help', problem }`: the caller answers with the help text (never an error).
 */
import { GLOB_PROBLEMS, globProblem } from './glob';
import { normaliseIncidentId } from './lifecycle';
import { parseDuration } from './silence';
import { updateText } from './stakeholder';
import { SEVERITIES, type Severity } from './types';

export type IncidentCommand =
  | { kind: 'ack'; id: string }
  | { kind: 'resolve'; id: string; note: string | null }
  | { kind: 'list'; severity: Severity | null }
  | { kind: 'show'; id: string }
  | { kind: 'silence'; match: string; minutes: number; reason: string }
  | { kind: 'unsilence'; id: string }
  | { kind: 'review'; id: string }
  | { kind: 'update'; id: string; text: string }
  /** `problem`: what was wrong with the text (null for a plain `help` or empty text). */
  | { kind: 'help'; problem: string | null };

export const SUBCOMMANDS = ['ack', 'resolve', 'list', 'show', 'silence', 'unsilence', 'review', 'update', 'help'] as const;

/** Longest note and reason we accept (the store keeps them; Slack shows them). Patterns: GLOB_RULES. */
export const COMMAND_LIMITS = { note: 1000, reason: 500 } as const;

/**
 * Slack sends `&`, `<` and `>` in command text as `&amp;`, `&lt;`, `&gt;`. We keep what the person typed
 * (the renderers escape again on the way out), so the stored note never holds entities.
 */
export function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** `SIL-1A2B3C`, `sil-1a2b3c` or `1a2b3c` → `SIL-1A2B3C`; null when not a silence id. */
export function normaliseSilenceId(input: string): string | null {
  const s = input
    .trim()
    .toUpperCase()
    .replace(/^SIL-?/, '');
  return /^[0-9A-F]{6}$/.test(s) ? `SIL-${s}` : null;
}

const help = (problem: string | null): IncidentCommand => ({ kind: 'help', problem });

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** The rest of the text after the first `n` words, whitespace inside kept, trimmed. */
function restAfter(text: string, n: number): string {
  let rest = text.trim();
  for (let i = 0; i < n; i++) rest = rest.replace(/^\S+\s*/, '');
  return rest.trim();
}

function incidentIdOf(word: string | undefined, sub: string): string | IncidentCommand {
  if (!word) return help(`\`${sub}\` needs an incident id, e.g. \`/incident ${sub} INC-7F3A9K2M\``);
  const id = normaliseIncidentId(word);
  return id ?? help(`\`${word}\` is not an incident id (they look like INC-7F3A9K2M)`);
}

export function parseIncidentCommand(rawText: string): IncidentCommand {
  const text = unescapeSlack(rawText ?? '')
    .replace(/\u00a0/g, ' ')
    .trim();
  const w = words(text);
  if (w.length === 0) return help(null);
  const sub = w[0].toLowerCase();
  switch (sub) {
    case 'help':
    case '?':
      return help(null);
    case 'ack':
    case 'acknowledge': {
      if (w.length > 2) return help('`ack` takes one incident id');
      const id = incidentIdOf(w[1], 'ack');
      return typeof id === 'string' ? { kind: 'ack', id } : id;
    }
    case 'resolve': {
      const id = incidentIdOf(w[1], 'resolve');
      if (typeof id !== 'string') return id;
      const note = restAfter(text, 2);
      if (note.length > COMMAND_LIMITS.note) return help(`the note is longer than ${COMMAND_LIMITS.note} characters`);
      return { kind: 'resolve', id, note: note || null };
    }
    case 'show':
    case 'review': {
      if (w.length > 2) return help(`\`${sub}\` takes one incident id`);
      const id = incidentIdOf(w[1], sub);
      return typeof id === 'string' ? { kind: sub, id } : id;
    }
    case 'update': {
      const id = incidentIdOf(w[1], 'update');
      if (typeof id !== 'string') return id;
      const t = updateText(restAfter(text, 2));
      if (!t.ok) return help(`${t.problem}, e.g. \`/incident update ${id} Failover under way, next update in 30 min\``);
      return { kind: 'update', id, text: t.text };
    }
    case 'list': {
      if (w.length > 2) return help('`list` takes at most one severity (P0, P1, P2 or P3)');
      if (!w[1]) return { kind: 'list', severity: null };
      const sev = w[1].toUpperCase();
      if (!(SEVERITIES as readonly string[]).includes(sev)) return help(`\`${w[1]}\` is not a severity: use P0, P1, P2 or P3`);
      return { kind: 'list', severity: sev as Severity };
    }
    case 'silence':
    case 'mute': {
      const [, match, duration] = w;
      if (!match || !duration)
        return help('`silence` needs an alarm pattern, a duration and a reason, e.g. `/incident silence Database* 2h maintenance window`');
      const problem = globProblem(match);
      if (problem) return help(GLOB_PROBLEMS[problem]);
      const minutes = parseDuration(duration);
      if (minutes === null) return help(`\`${duration}\` is not a duration: use e.g. 30m, 2h, 1d or 1h30m (at most 30 days)`);
      const reason = restAfter(text, 3);
      if (!reason) return help('every silence needs a reason, e.g. `/incident silence Database* 2h maintenance window`');
      if (reason.length > COMMAND_LIMITS.reason) return help(`the reason is longer than ${COMMAND_LIMITS.reason} characters`);
      return { kind: 'silence', match, minutes, reason };
    }
    case 'unsilence':
    case 'unmute': {
      if (!w[1]) return help('`unsilence` needs a silence id, e.g. `/incident unsilence SIL-1A2B3C`');
      if (w.length > 2) return help('`unsilence` takes one silence id');
      const id = normaliseSilenceId(w[1]);
      return id ? { kind: 'unsilence', id } : help(`\`${w[1]}\` is not a silence id (they look like SIL-1A2B3C)`);
    }
    default:
      return help(`unknown subcommand \`${w[0]}\``);
  }
}

/** The help text (mrkdwn; `problem` is escaped by the caller, everything else here is ours). */
export function incidentCommandHelp(command = '/incident'): string {
  return [
    `*${command}* — incidents from Slack`,
    `• \`${command} ack INC-7F3A9K2M\` — acknowledge (stops escalation, tells PagerDuty)`,
    `• \`${command} resolve INC-7F3A9K2M [note]\` — resolve, with an optional note`,
    `• \`${command} list [P0|P1|P2|P3]\` — open and acknowledged incidents`,
    `• \`${command} show INC-7F3A9K2M\` — one incident and its latest timeline`,
    `• \`${command} silence ALARM-PATTERN DURATION REASON\` — e.g. \`${command} silence Database* 2h maintenance window\` (\`*\` matches anything, \`?\` one character; 30m, 2h, 1d; a reason is required)`,
    `• \`${command} unsilence SIL-1A2B3C\` — end a silence early`,
    `• \`${command} review INC-7F3A9K2M\` — the post-incident review draft (timeline, response times, runbook)`,
    `• \`${command} update INC-7F3A9K2M TEXT\` — a stakeholder update: timeline, incident channel, P0/P1 stakeholder email (pages nobody)`,
    `• \`${command} help\` — this text`,
    'Ids are forgiving: `inc-7f3a9k2m`, `7F3A9K2M` and O/0, I/1 mix-ups all work.',
  ].join('\n');
}
