/** Reads an incident (and, once incidents are grouped, its members) and makes its review draft. Read-only. */
import { buildReview, normaliseIncidentId, renderReviewMarkdown, type Incident, type ReviewModel } from '@alert-router/core';
import type { Runtime } from '../runtime';

export interface LoadedReview {
  incident: Incident;
  model: ReviewModel;
  markdown: string;
}

/** Incidents a review merges in beside the group's own timeline (members of a group live on it, not apart). */
function memberIds(_i: Incident): string[] {
  return [];
}

export async function loadReview(rt: Runtime, rawId: string): Promise<LoadedReview | null> {
  const incident = await rt.store.getIncident(normaliseIncidentId(rawId) ?? rawId);
  if (!incident) return null;
  const members = (await Promise.all(memberIds(incident).map((id) => rt.store.getIncident(id)))).filter((m): m is Incident => m !== null);
  const model = buildReview(incident, rt.policy, { members });
  return { incident, model, markdown: renderReviewMarkdown(model) };
}
