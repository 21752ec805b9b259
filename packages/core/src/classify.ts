import { globMatches } from './glob';
import { parseArn } from './parse';
import type { Policy } from './policy';
import { CHANNELS, type Channel, type Notification, type Severity } from './types';

export type ClassifiedBy = 'description' | 'topic' | 'rule' | 'source' | 'default';

export interface Classification {
  severity: Severity;
  by: ClassifiedBy;
  /** What matched: the description marker, the topic token, the rule's name. */
  detail: string | null;
  runbook: string | null;
}

const SEVERITY_WORDS: Record<string, Severity> = {
  p0: 'P0',
  critical: 'P0',
  sev0: 'P0',
  sev1: 'P0',
  p1: 'P1',
  high: 'P1',
  sev2: 'P1',
  p2: 'P2',
  medium: 'P2',
  sev3: 'P2',
  p3: 'P3',
  low: 'P3',
  sev4: 'P3',
  info: 'P3',
};

/** Candidate markers; the captured word must be one of SEVERITY_WORDS (bounded input: a description is ≤ 1024 chars). */
const MARKERS = [/\bseverity\s*[:=]\s*["']?([a-z]+\d?)\b/gi, /\[\s*([a-z]+\d?)\s*\]/gi];

/** `severity: P1`, `severity=sev2`, `[P1]`, `[critical]` in an alarm description: any word of SEVERITY_WORDS. */
export function severityFromDescription(description: string | null): { severity: Severity; marker: string } | null {
  if (!description) return null;
  for (const marker of MARKERS) {
    for (const m of description.matchAll(marker)) {
      const severity = SEVERITY_WORDS[m[1].toLowerCase()];
      if (severity) return { severity, marker: m[0] };
    }
  }
  return null;
}

/** `CriticalAlertsTopic` → [critical, alerts, topic]; `prod-alerts_P1` → [prod, alerts, p1]. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((t) => t.toLowerCase());
}

/** A router hears a handful of topics: their tokens are worked out once each (never mutated; at most 256 kept). */
const topicTokenCache = new Map<string, string[]>();
function topicTokens(topic: string): string[] {
  let tokens = topicTokenCache.get(topic);
  if (!tokens) {
    tokens = nameTokens(topic);
    if (topicTokenCache.size >= 256) topicTokenCache.clear();
    topicTokenCache.set(topic, tokens);
  }
  return tokens;
}

function topicName(topicArn: string | null | undefined): string | null {
  if (!topicArn) return null;
  const arn = parseArn(topicArn);
  return arn ? arn.resource : topicArn;
}

function eqi(a: string | null, b: string): boolean {
  return a !== null && a.toLowerCase() === b.toLowerCase();
}

/** The metrics an alarm names: its single metric, or every MetricStat of a metric-math alarm. */
function metricsOf(n: Notification): { namespace: string | null; metric: string | null }[] {
  return n.metrics.length > 0 ? n.metrics : [{ namespace: n.namespace, metric: n.metric }];
}

/** The source a rule's `source` matches: the webhook kind, the AWS service (`aws.guardduty`), `cloudwatch` for alarms, `sns` for plain text. */
function sourceName(n: Notification): string {
  return n.source?.name ?? (n.kind === 'alarm' ? 'cloudwatch' : n.kind === 'message' ? 'sns' : n.kind);
}

type Rule = Policy['rules'][number];

function ruleMatches(r: Rule, n: Notification): boolean {
  if (r.alarmName && !globMatches(r.alarmName, n.alarmName)) return false;
  if (r.source && !globMatches(r.source, sourceName(n))) return false;
  if (r.fields) {
    const fields = n.source?.fields ?? {};
    for (const [k, pattern] of Object.entries(r.fields)) {
      const v = Object.hasOwn(fields, k) ? fields[k] : undefined;
      if (v === undefined || !globMatches(pattern, v)) return false;
    }
  }
  if (!r.namespace && !r.metric) return true;
  return metricsOf(n).some((m) => (!r.namespace || eqi(m.namespace, r.namespace)) && (!r.metric || eqi(m.metric, r.metric)));
}

const namesSource = (r: Rule) => Boolean(r.source || r.fields);

/**
 * First match wins: description marker; policy rules that name a `source` or `fields` (they override what the
 * source says); the source's own severity (GuardDuty, Security Hub, AWS Health, webhook severities); the SNS
 * topic name; the other policy rules; the policy default.
 */
export function classify(n: Notification, policy: Policy): Classification {
  const fromDescription = severityFromDescription(n.description);
  const rule = policy.rules.find((r) => ruleMatches(r, n));
  const runbook = rule?.runbook ?? null;
  if (fromDescription) return { severity: fromDescription.severity, by: 'description', detail: fromDescription.marker, runbook };
  const ruleDetail = (r: Rule) => r.name ?? r.alarmName ?? r.metric ?? r.source ?? null;

  const sourceRule = policy.rules.find((r) => namesSource(r) && ruleMatches(r, n));
  if (sourceRule) return { severity: sourceRule.severity, by: 'rule', detail: ruleDetail(sourceRule), runbook: sourceRule.runbook ?? runbook };
  if (n.source?.severity) return { severity: n.source.severity, by: 'source', detail: n.source.severityLabel ?? n.source.name, runbook };

  const topic = topicName(n.sns?.topicArn);
  if (topic) {
    const tokens = topicTokens(topic);
    const match = policy.topics.find((t) => tokens.includes(t.match.toLowerCase()));
    if (match) return { severity: match.severity, by: 'topic', detail: topic, runbook };
  }
  if (rule) return { severity: rule.severity, by: 'rule', detail: ruleDetail(rule), runbook };
  return { severity: policy.defaultSeverity, by: 'default', detail: null, runbook };
}

/** Channels of a severity, in the contract's order. */
export function channelsFor(severity: Severity, policy: Policy): Channel[] {
  const wanted = new Set(policy.severities[severity].channels);
  return CHANNELS.filter((c) => wanted.has(c));
}
