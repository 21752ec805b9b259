import { array, enum as zEnum, literal, looseObject, minLength, nullish, number, pipe, refine, string, transform, union, type infer as Infer } from 'zod/mini';
import { truncateUnits } from '../render/escape';
import type { Notification, Severity } from '../types';
import { fieldsOf, isoTime, webhookNotification } from './common';
import { parseWith, stringRecord } from './webhook-schema';

/** Azure's own names for Sev0–Sev4, and the default P0–P3 each maps to. */
const AZURE_SEVERITY: Record<string, { name: string; severity: Severity }> = {
  sev0: { name: 'Critical', severity: 'P0' },
  sev1: { name: 'Error', severity: 'P1' },
  sev2: { name: 'Warning', severity: 'P2' },
  sev3: { name: 'Informational', severity: 'P3' },
  sev4: { name: 'Verbose', severity: 'P3' },
};

const optStr = nullish(string());

const dimension = looseObject({ name: string(), value: pipe(union([string(), number()]), transform(String)) });

/** Azure Monitor common alert schema: `essentials.monitorCondition` Fired | Resolved, keyed by `essentials.alertId`. */
const commonAlert = looseObject({
  schemaId: literal('azureMonitorCommonAlertSchema', {
    error: 'expected "azureMonitorCommonAlertSchema" (enable the common alert schema on the action group)',
  }),
  data: looseObject({
    essentials: looseObject({
      alertId: string().check(minLength(1)),
      // Cost (budget) alerts come with no rule, severity or signal type, and older ones with no condition either:
      // they are named by their budget, ranked by the policy, and fire (they are never resolved).
      alertRule: optStr,
      severity: nullish(string().check(refine((s: string) => Object.hasOwn(AZURE_SEVERITY, s.toLowerCase()), { error: 'expected Sev0 to Sev4' }))),
      monitorCondition: nullish(zEnum(['Fired', 'Resolved'])),
      signalType: optStr,
      monitoringService: optStr,
      alertTargetIDs: nullish(array(string())),
      configurationItems: nullish(array(string())),
      firedDateTime: optStr,
      resolvedDateTime: optStr,
      description: optStr,
    }),
    alertContext: nullish(
      looseObject({
        AlertData: nullish(looseObject({ BudgetName: optStr, SpentAmount: optStr, NotificationThresholdAmount: optStr, ThresholdType: optStr })),
        // Service Health: one event (`trackingId`) notified at each stage, every one `Fired`; the stage ends it.
        // Resource Health: one resource's health event, notified at each `status` (Active … Resolved), every one `Fired`.
        properties: nullish(
          looseObject({
            trackingId: optStr,
            stage: optStr,
            title: optStr,
            service: optStr,
            region: optStr,
            incidentType: optStr,
            defaultLanguageContent: optStr,
            currentHealthStatus: optStr,
            previousHealthStatus: optStr,
            cause: optStr,
            details: optStr,
          }),
        ),
        status: optStr,
        // Azure Monitor managed Prometheus: the alert's label set.
        labels: nullish(stringRecord),
        condition: nullish(
          looseObject({
            allOf: nullish(array(looseObject({ metricName: optStr, metricNamespace: optStr, dimensions: nullish(array(dimension)) }))),
          }),
        ),
      }),
    ),
  }),
});

/** Service Health stages after which the event is over (incidents: Resolved, then its RCA; maintenance: Complete, Canceled). */
const SERVICE_HEALTH_ENDED = new Set(['resolved', 'rca', 'complete', 'completed', 'canceled', 'cancelled']);

/** How much of Service Health's communication is read (the incident keeps its reason shorter still). */
const COMMUNICATION_MAX = 20_000;

/**
 * Text of Service Health's HTML communication: tags dropped, entities left as they are (rendering escapes them). A
 * tag is `<` to the next `>` with no `<` between, so the scan is linear: with `[^>]*` a body of `<` without `>`
 * rescanned the rest of the text from each one (a 100 KiB body: 3 s).
 */
export function plainText(html: string | null | undefined): string | null {
  const t = truncateUnits(html ?? '', COMMUNICATION_MAX, '')
    .replace(/<[^<>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return t || null;
}

/** The alert's page in the Azure portal. */
function portalUrl(alertId: string): string {
  return `https://portal.azure.com/#view/Microsoft_Azure_Monitoring_Alerts/AlertDetails.ReactView/alertId/${encodeURIComponent(alertId)}`;
}

type AlertContext = NonNullable<Infer<typeof commonAlert>['data']['alertContext']>;

/**
 * Resource Health (an activity log alert: stateless, every notification `Fired`, each with an alertId of its own):
 * the resource is the incident, and its event's `Resolved` status (or the resource `Available` again) ends it.
 * Resource ids are case-insensitive and Azure writes them in either case.
 */
function resourceHealthOf(ctx: AlertContext | null | undefined, target: string) {
  const p = ctx?.properties;
  const status = ctx?.status ?? null;
  const current = p?.currentHealthStatus ?? null;
  return {
    key: `${target.toLowerCase()}#resourcehealth`,
    recovered: status?.toLowerCase() === 'resolved' || current?.toLowerCase() === 'available',
    status,
    current,
    previous: p?.previousHealthStatus ?? null,
    cause: p?.cause ?? null,
    reason: [p?.title, p?.details].filter(Boolean).join(': ') || null,
  };
}

export function parseAzure(body: unknown, receivedAt: string): Notification[] {
  const d = parseWith(commonAlert, body, 'Azure Monitor common alert schema').data;
  const e = d.essentials;
  const sev = e.severity ? AZURE_SEVERITY[e.severity.toLowerCase()] : null;
  const health = e.monitoringService === 'ServiceHealth' && d.alertContext?.properties?.trackingId ? d.alertContext.properties : null;
  const stage = health?.stage ?? null;
  const resourceHealth = e.monitoringService === 'Resource Health' && e.alertTargetIDs?.[0] ? resourceHealthOf(d.alertContext, e.alertTargetIDs[0]) : null;
  const resolved = e.monitorCondition === 'Resolved' || (stage !== null && SERVICE_HEALTH_ENDED.has(stage.toLowerCase())) || resourceHealth?.recovered === true;
  const stateless = health !== null || resourceHealth !== null;
  const condition = e.monitorCondition ?? 'Fired';
  const budget = d.alertContext?.AlertData ?? null;
  const criteria = d.alertContext?.condition?.allOf ?? [];
  const single = criteria.length === 1 ? criteria[0] : null;
  const subscription = /\/subscriptions\/([^/]+)/i.exec(e.alertId)?.[1] ?? null;
  return [
    webhookNotification({
      source: 'azure',
      // Each stage of a Service Health or Resource Health event is an alert of its own (its own alertId): the event
      // (Service Health) or the resource (Resource Health) is the key.
      key: health ? `/subscriptions/${subscription ?? '-'}/servicehealth/${health.trackingId}` : (resourceHealth?.key ?? e.alertId),
      // The rule's name, as silences and policy rules know it; a Service Health event's own title leads its reason.
      title: e.alertRule || health?.title || (budget?.BudgetName ? `Budget ${budget.BudgetName}` : '') || (e.alertId.split('/').pop() ?? ''),
      state: resolved ? 'OK' : 'ALARM',
      // A Service Health or Resource Health stage is a notification of its own, fired when the stage began.
      changedAt: (resolved && !stateless ? isoTime(e.resolvedDateTime) : isoTime(e.firedDateTime)) ?? receivedAt,
      severity: sev?.severity ?? null,
      severityLabel: sev ? `${e.severity} (${sev.name})` : null,
      reason:
        (health ? [health.title, plainText(health.defaultLanguageContent)].filter(Boolean).join(': ') : '') ||
        resourceHealth?.reason ||
        e.description ||
        `${e.signalType ?? e.monitoringService ?? 'Azure Monitor'} alert ${condition.toLowerCase()}`,
      account: subscription,
      namespace: single?.metricNamespace ?? null,
      metric: single?.metricName ?? null,
      dimensions: { ...d.alertContext?.labels, ...Object.fromEntries((single?.dimensions ?? []).map((x) => [x.name, x.value])) },
      fields: fieldsOf([
        ['severity', e.severity],
        ['signalType', e.signalType],
        ['monitoringService', e.monitoringService],
        ['target', e.configurationItems?.[0] ?? e.alertTargetIDs?.[0]],
        ['monitorCondition', condition],
        ['budget', budget?.BudgetName],
        ['spent', budget?.SpentAmount],
        ['budgetThreshold', budget?.NotificationThresholdAmount],
        ['thresholdType', budget?.ThresholdType],
        ['event', health?.title],
        ['trackingId', health?.trackingId],
        ['stage', stage],
        ['service', health?.service],
        ['region', health?.region],
        ['healthStatus', resourceHealth?.current],
        ['previousHealthStatus', resourceHealth?.previous],
        ['healthEvent', resourceHealth?.status],
        ['cause', resourceHealth?.cause],
      ]),
      url: portalUrl(e.alertId),
    }),
  ];
}
