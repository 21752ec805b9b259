/** The keys every `route` output line carries (docs/contracts.md): written out here, independent of the code under test. */
export const ROUTE_LINE_KEYS = [
  'kind',
  'alarmName',
  'state',
  'previousState',
  'severity',
  'channels',
  'incidentKey',
  'account',
  'region',
  'namespace',
  'metric',
  'dimensions',
  'reason',
];
