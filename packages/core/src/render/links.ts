import type { Incident } from '../incident';
import { wellFormed } from './escape';
import type { NoticeLinks } from '../notifier';
import type { Policy } from '../policy';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Console host of a region's partition (aws, aws-cn, aws-us-gov). */
function consoleHost(region: string): string {
  if (region.startsWith('cn-')) return `${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return `${region}.console.amazonaws-us-gov.com`;
  return `${region}.console.aws.amazon.com`;
}

/** CloudWatch alarm names are at most 255 characters; a longer "name" gets the region's alarm list instead. */
const ALARM_NAME_MAX = 255;

/**
 * CloudWatch console page of an alarm:
 * `https://<region>.console.aws.amazon.com/cloudwatch/home?region=<region>#alarmsV2:alarm/<name>`
 * (the region's alarm list for a name CloudWatch could not have, so a link stays short and whole).
 * Null when there is no region (no ARN) or the region does not look like a region code.
 */
export function cloudWatchAlarmUrl(region: string | null | undefined, alarmName: string): string | null {
  if (!region || !REGION.test(region) || !alarmName) return null;
  const base = `https://${consoleHost(region)}/cloudwatch/home?region=${region}#alarmsV2:`;
  return alarmName.length > ALARM_NAME_MAX ? base : `${base}alarm/${encodeURIComponent(wellFormed(alarmName))}`;
}

/** The runbook entry of an incident: its own runbook when the policy has it, else `default`. */
export function runbookFor(incident: Pick<Incident, 'runbook'>, policy: Policy): { name: string; title: string; anchor?: string; steps: string[] } | null {
  const name = incident.runbook && policy.runbooks[incident.runbook] ? incident.runbook : 'default';
  const rb = policy.runbooks[name];
  return rb ? { name, ...rb } : null;
}

/** `policy.runbookUrl#anchor` of the incident's runbook; the bare runbookUrl when it has no anchor. */
export function runbookUrl(incident: Pick<Incident, 'runbook'>, policy: Policy): string | null {
  if (!policy.runbookUrl) return null;
  const base = policy.runbookUrl.split('#')[0];
  const anchor = runbookFor(incident, policy)?.anchor;
  return anchor ? `${base}#${encodeURIComponent(wellFormed(anchor))}` : base;
}

/** The incident on the dashboard: `<dashboardUrl>/incidents/<id>` (null without a public dashboard URL). */
export function dashboardIncidentUrl(dashboardUrl: string | null | undefined, incidentId: string): string | null {
  if (!dashboardUrl) return null;
  return `${dashboardUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(wellFormed(incidentId))}`;
}

/** All links of a notice. */
export function noticeLinks(incident: Incident, policy: Policy, options: { dashboardUrl?: string | null } = {}): NoticeLinks {
  return {
    console: cloudWatchAlarmUrl(incident.alarm.region, incident.alarmName),
    runbook: runbookUrl(incident, policy),
    dashboard: dashboardIncidentUrl(options.dashboardUrl, incident.id),
  };
}
