/**
 * The review loop on the dashboard: the review draft (`GET /incidents/{id}/review`, HTML or Markdown), the
 * hygiene numbers (`GET /api/hygiene?days=7`) and stakeholder updates (`POST /api/incidents/{id}/updates`).
 */
import { renderErrorPage, renderReviewPage, reviewFileName, updateText, type DashboardSession } from '@alert-router/core';
import type { Actor } from '../actions';
import { header, json, query, type HttpEvent, type HttpResult } from '../api/http';
import { loadHygiene } from '../review/hygiene';
import { loadReview } from '../review/review';
import { postStakeholderUpdate } from '../review/updates';
import type { Runtime } from '../runtime';

/** `?format=md`, or an Accept header that asks for Markdown (and not HTML first). */
export function wantsMarkdown(event: HttpEvent): boolean {
  const format = query(event, 'format');
  if (format) return format === 'md' || format === 'markdown';
  const accept = header(event, 'accept') ?? '';
  return /text\/markdown/i.test(accept) && !/text\/html/i.test(accept.split('text/markdown')[0]);
}

export async function reviewRoute(event: HttpEvent, id: string, rt: Runtime, session: DashboardSession): Promise<HttpResult> {
  const review = await loadReview(rt, id);
  const markdown = wantsMarkdown(event);
  if (!review) {
    if (markdown)
      return { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: `no incident ${id}\n` };
    return {
      statusCode: 404,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
      body: renderErrorPage(404, 'No such incident', `There is no incident ${id}.`, session),
    };
  }
  if (markdown) {
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/markdown; charset=utf-8',
        'content-disposition': `attachment; filename="${reviewFileName(review.incident.id)}"`,
        'cache-control': 'no-store',
      },
      body: review.markdown,
    };
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: renderReviewPage(review.model, review.markdown, session),
  };
}

export async function hygieneRoute(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  const raw = query(event, 'days');
  const days = raw === undefined ? 7 : Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > 90)
    return json(400, { error: 'days: expected a whole number of days from 1 to 90 (7: weekly, 30: monthly)' });
  return json(200, await loadHygiene(rt, { days }));
}

/** Validates and posts; the caller answers the form (redirect) or JSON. */
export async function stakeholderUpdate(
  rt: Runtime,
  id: string,
  actor: Actor,
  text: unknown,
): Promise<{ status: number; body: Record<string, unknown>; kind: string }> {
  const t = updateText(text);
  if (!t.ok) return { status: 400, body: { error: `text: ${t.problem}` }, kind: 'update-invalid' };
  const r = await postStakeholderUpdate(rt, id, actor, t.text);
  if (r.kind === 'not-found') return { status: 404, body: { error: `no incident ${id}` }, kind: 'not-found' };
  if (r.kind === 'timeline-full') return { status: 409, body: { error: `${id}: the timeline is full, no more updates can be added` }, kind: 'timeline-full' };
  return { status: 201, body: { incident: r.incident, sent: r.sent }, kind: 'posted' };
}
