import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { RouterError } from '@alert-router/core/errors';
import type { GroupMember, Incident } from '@alert-router/core/incident';
import { DASHBOARD_INCIDENT_FIELDS, groupSizeOf } from '@alert-router/core/incident-row';
import { rowOf, type IncidentRow } from './row';
import { validIncident, validRow } from './validate';

/**
 * How an incident is laid out in its DynamoDB item. In the clear: its listing row (the row indexes project it, the
 * held-incidents query filters on `silencedBy`) and `rev` (the write condition). Everything else (alarm, timeline,
 * deliveries, a group's members) is one deflated JSON document in `doc`.
 *
 * Why: a write costs a unit per KB of the item, and a group's item is rewritten whole by every alarm that joins
 * it. 200 members made an item of ~118 KB (115 units a join, on a hot item at a partition's ~1,000 units a
 * second); deflated, ~9 KB (docs/capacity.md). A document that does not compress costs a few bytes more than its
 * JSON, so the 400 KB item limit holds wherever the JSON bound (core's INCIDENT_BYTES_MAX) holds.
 */
export const DOC_ATTRIBUTE = 'doc';

/** Far above any incident's JSON (core's INCIDENT_BYTES_MAX): a damaged or hostile document cannot inflate without bound. */
const DOC_BYTES_MAX = 8 * 1024 * 1024;

const CLEAR = new Set<string>([...DASHBOARD_INCIDENT_FIELDS, 'rev']);
/**
 * In the clear since 2026-12-03 and still in the document: a build before then reads it from the document only,
 * and would drop it from every incident it rewrites while both run (docs/deploy.md, "Upgrading").
 */
const IN_BOTH = 'releasedAt';

/** The incident's own attributes of its item (the caller adds keys, index and expiry attributes). */
export function incidentAttributes(i: Incident): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(i)) if (!CLEAR.has(k) || k === IN_BOTH) rest[k] = v;
  return { ...rowOf(i), ...(i.rev === undefined ? {} : { rev: i.rev }), [DOC_ATTRIBUTE]: deflateRawSync(JSON.stringify(rest)) };
}

/**
 * The incident of an item, checked. An item without `doc` was written before the document existed: its attributes
 * are the incident's fields (`skip`: the keys and index attributes to leave out).
 */
export function incidentOfItem(item: Record<string, unknown>, skip: ReadonlySet<string>): Incident {
  const doc = item[DOC_ATTRIBUTE];
  const out: Record<string, unknown> = {};
  if (doc === undefined) {
    for (const [k, v] of Object.entries(item)) if (!skip.has(k)) out[k] = v;
    return validIncident(out);
  }
  let rest: unknown = null;
  try {
    if (doc instanceof Uint8Array) rest = JSON.parse(inflateRawSync(doc, { maxOutputLength: DOC_BYTES_MAX }).toString('utf8'));
  } catch {
    // reported below
  }
  if (typeof rest !== 'object' || rest === null || Array.isArray(rest))
    throw new RouterError(`stored incident ${String(item.id ?? '?')} is not valid: ${DOC_ATTRIBUTE}: expected a deflated JSON object`, {
      context: { id: item.id },
    });
  Object.assign(out, rest);
  for (const k of CLEAR) if (item[k] !== undefined) out[k] = item[k];
  return validIncident(out);
}

/** A listing row from an index entry: the row's attributes only (an index that projects ALL brings the rest too). */
export function rowOfItem(item: Record<string, unknown>): IncidentRow {
  const out: Record<string, unknown> = {};
  for (const k of DASHBOARD_INCIDENT_FIELDS) if (item[k] !== undefined) out[k] = item[k];
  if (item.paged !== undefined) out.paged = item.paged;
  if (item.groupSize !== undefined) out.groupSize = item.groupSize;
  // An item written before the rows carried counts has its members in the clear (not yet checked: validRow is next).
  else if (Array.isArray(item.members))
    out.groupSize = groupSizeOf({ members: item.members.filter((m): m is GroupMember => typeof m === 'object' && m !== null) });
  return validRow(out);
}
