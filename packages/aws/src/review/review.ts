/** Reads an incident (a group's members are on it) and makes its review draft. Read-only. */
import { buildReview, normaliseIncidentId, renderReviewMarkdown, type Incident, type ReviewModel } from '@alert-router/core';
import type { Runtime } from '../runtime';

export interface LoadedReview {
  incident: Incident;
  model: ReviewModel;
  markdown: string;
}

export async function loadReview(rt: Runtime, rawId: string): Promise<LoadedReview | null> {
  const incident = await rt.store.getIncident(normaliseIncidentId(rawId) ?? rawId);
  if (!incident) return null;
  // A group's members live on it (their joins and recoveries are on its timeline), so the review reads nothing more.
  const model = buildReview(incident, rt.policy);
  return { incident, model, markdown: renderReviewMarkdown(model) };
}
