/**
 * The review draft on the dashboard (`GET /incidents/{id}/review`): the response figures and the timeline as
 * HTML, the Markdown draft itself in a <pre> to copy, and a download link for the same text. Everything goes
 * through the dashboard's escaping `html` tag.
 */
import { secondsText } from '../digest';
import { reviewFileName, reviewTime, timelineByAlarm, type ReviewModel } from '../review';
import { html, layout, type DashboardSession } from './dashboard';

export function reviewHref(id: string, format?: 'md'): string {
  return `/incidents/${encodeURIComponent(id)}/review${format ? `?format=${format}` : ''}`;
}

function ackResult(m: ReviewModel): string {
  const late = m.acknowledge.lateSeconds;
  if (late === null) return 'not acknowledged yet';
  return late > 0 ? `breached by ${secondsText(late)}` : 'within target';
}

export function renderReviewPage(m: ReviewModel, markdown: string, session: DashboardSession): string {
  const id = m.id;
  const body = html`<p class="crumbs"><a href="/incidents/${encodeURIComponent(id)}">← ${id}</a></p>
    <h1>Post-incident review draft <span class="muted id">${id}</span></h1>
    <p><span class="alarm-name">${m.alarmName}</span> · ${m.severity} ${m.severityLabel} · ${m.status}</p>
    <p><a class="button" id="review-download" href="${reviewHref(id, 'md')}" download="${reviewFileName(id)}">Download Markdown</a></p>
    <section aria-labelledby="response-h" class="panel">
      <h2 id="response-h">Response against the runbook</h2>
      <dl class="facts">
        <div>
          <dt>Time to acknowledge</dt>
          <dd>
            ${m.acknowledge.actualSeconds === null ? '—' : secondsText(m.acknowledge.actualSeconds)} (target ${m.acknowledge.target}:
            <span id="review-ack-result">${ackResult(m)}</span>)
          </dd>
        </div>
        <div>
          <dt>Time to resolve</dt>
          <dd>${m.resolveSeconds === null ? '—' : secondsText(m.resolveSeconds)}</dd>
        </div>
        <div>
          <dt>Escalation</dt>
          <dd>${m.escalation.stepsRun} step${m.escalation.stepsRun === 1 ? '' : 's'} ran</dd>
        </div>
      </dl>
    </section>
    <section aria-labelledby="review-timeline-h">
      <h2 id="review-timeline-h">Timeline</h2>
      <table class="incidents timeline">
        <caption class="visually-hidden">
          Timeline from first alarm to resolution
        </caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            ${timelineByAlarm(m) ? html`<th scope="col">Alarm</th>` : ''}
            <th scope="col">Who</th>
            <th scope="col">What</th>
          </tr>
        </thead>
        <tbody>
          ${m.timeline.map(
            (e) =>
              html`<tr>
                <td><time datetime="${e.at}">${reviewTime(e.at)}</time></td>
                ${timelineByAlarm(m) ? html`<td>${e.alarm ?? ''}</td>` : ''}
                <td>${e.who}</td>
                <td class="pre">${e.what}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section aria-labelledby="draft-h">
      <h2 id="draft-h">Draft (Markdown)</h2>
      <pre class="review-markdown" id="review-markdown">${markdown}</pre>
    </section>`;
  return layout({ title: `Review ${id}`, session, path: reviewHref(id) }, body);
}
