import { noticeTarget, type Incident } from './incident';

/**
 * The fields of an incident the dashboard's lists and charts show (what its reads project): its listing row. In a
 * module of its own so that the store, which projects them into its indexes, takes no dashboard code in with it.
 */
export const DASHBOARD_INCIDENT_FIELDS = [
  'id',
  'incidentKey',
  'alarmName',
  'severity',
  'status',
  'openedAt',
  'acknowledgedAt',
  'acknowledgedBy',
  'resolvedAt',
  'resolvedBy',
  'escalation',
  'silencedBy',
  'flapping',
  'duplicates',
  'updatedAt',
  'releasedAt',
] as const;

/**
 * A group's size on its row ("12 alarms · 3 recovered"): counts, not the members. A row is copied into two indexes
 * on every write of its incident; with the members in it, each alarm of a storm joining one group paid for the
 * whole member list twice more.
 */
export interface GroupSize {
  alarms: number;
  recovered: number;
}

export type DashboardIncident = Pick<Incident, (typeof DASHBOARD_INCIDENT_FIELDS)[number]> & {
  /** Absent on an incident of its own. */
  groupSize?: GroupSize;
  /**
   * Whether it paged (pagedVia): what the digest counts, so that it reads rows, not incidents. Absent only on a
   * row written before rows carried it (the digest then reads that incident).
   */
  paged?: boolean;
};

/** Every attribute a listing row carries: the incident's fields above, its group's size and whether it paged. */
export const ROW_ATTRIBUTES = [...DASHBOARD_INCIDENT_FIELDS, 'groupSize', 'paged'] as const;

/** Whether any notice paged someone: a PagerDuty trigger or escalation that was not skipped. */
export function pagedVia(deliveries: Incident['deliveries'] | undefined): boolean {
  for (const key in deliveries) {
    const d = deliveries[key];
    const { event, channel } = noticeTarget(key, d);
    if (channel === 'pagerduty' && (event === 'trigger' || event === 'escalate') && d.status !== 'skipped') return true;
  }
  return false;
}

export function groupSizeOf(i: Pick<Incident, 'members'>): GroupSize | undefined {
  if (!i.members) return undefined;
  let recovered = 0;
  for (const m of i.members) if (m.state === 'recovered') recovered++;
  return { alarms: i.members.length, recovered };
}

/**
 * The row of an incident. One literal of a fixed shape (a field the incident lacks is there as `undefined`, which
 * JSON and the DynamoDB marshaller, `removeUndefinedValues`, leave out): every write makes one, and copying the
 * fields by name in a loop took 1.5–2.7 µs a row against 0.06–0.2 (docs/performance-notes.md, "Stop 19"). Keep it to
 * the fields of `DASHBOARD_INCIDENT_FIELDS` (test/capacity.test.ts compares them).
 */
export function rowOf(i: Incident): DashboardIncident {
  return {
    id: i.id,
    incidentKey: i.incidentKey,
    alarmName: i.alarmName,
    severity: i.severity,
    status: i.status,
    openedAt: i.openedAt,
    acknowledgedAt: i.acknowledgedAt,
    acknowledgedBy: i.acknowledgedBy,
    resolvedAt: i.resolvedAt,
    resolvedBy: i.resolvedBy,
    escalation: i.escalation,
    silencedBy: i.silencedBy,
    flapping: i.flapping,
    duplicates: i.duplicates,
    updatedAt: i.updatedAt,
    releasedAt: i.releasedAt,
    groupSize: groupSizeOf(i),
    paged: pagedVia(i.deliveries),
  };
}
