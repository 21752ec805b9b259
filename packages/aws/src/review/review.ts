/** Reads an incident (and, once incidents are grouped, its members) and makes its review draft. Read-only. */
import { buildReview, normaliseIncidentId, renderReviewMarkdown, type Incident, type ReviewModel } from '@alert-router/core';
import type { Runtime } from '../runtime';

export interface LoadedReview {
  incident: Incident;
  model: ReviewModel;
  markdown: string;
}

/** Member ids a grouped incident lists (`members: [...]`); none until grouping exists. */
function memberIds(i: Incident): string[] {
  const m = (i as Incident & { members?: unknown }).members;
  return Array.isArray(m) ? m.filter((x): x is string => typeof x === 'string' && x !== i.id).slice(0, 50) : [];
}

export async function loadReview(rt: Runtime, rawId: string): Promise<LoadedReview | null> {
  const incident = await rt.store.getIncident(normaliseIncidentId(rawId) ?? rawId);
  if (!incident) return null;
  const members = (await Promise.all(memberIds(incident).map((id) => rt.store.getIncident(id)))).filter((m): m is Incident => m !== null);
  const model = buildReview(incident, rt.policy, { members });
  return { incident, model, markdown: renderReviewMarkdown(model) };
}
