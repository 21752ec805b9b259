/** Fixture groups: one incident with several member alarms (the shape grouping gives them). */
import type { GroupMember, Incident, Severity } from '@alert-router/core';
import { makeIncident } from './incident-factory';

export interface MemberSpec {
  name: string;
  severity?: Severity;
  recovered?: boolean;
  fired?: number;
}

export function makeMember(spec: MemberSpec, n: number): GroupMember {
  const firedAt = new Date(Date.parse('2024-01-15T10:05:00.000Z') + n * 1000).toISOString();
  return {
    incidentKey: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${spec.name}`,
    alarmName: spec.name,
    severity: spec.severity ?? 'P1',
    state: spec.recovered ? 'recovered' : 'firing',
    episodeId: `INC-M${String(n).padStart(7, '0')}`,
    firedAt,
    joinedAt: firedAt,
    recoveredAt: spec.recovered ? '2024-01-15T10:20:00.000Z' : null,
    fired: spec.fired ?? 1,
    reason: `${spec.name} crossed its threshold`,
  };
}

/** A group whose first member is the incident's own alarm (HighErrorRate unless `specs` says otherwise). */
export function makeGroup(specs: (MemberSpec | string)[], overrides: Parameters<typeof makeIncident>[0] = {}): Incident {
  const members = specs.map((s, n) => makeMember(typeof s === 'string' ? { name: s } : s, n));
  const first = members[0];
  return makeIncident({
    alarmName: first.alarmName,
    incidentKey: first.incidentKey,
    groupKey: 'account=123456789012,region=eu-west-1',
    members,
    ...overrides,
  });
}

/** `count` members named `Alarm01`… (a storm). */
export function stormNames(count: number, name: (n: number) => string = (n) => `Alarm${String(n + 1).padStart(2, '0')}`): string[] {
  return Array.from({ length: count }, (_, n) => name(n));
}
