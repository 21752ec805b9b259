/**
 * `POST /slack/commands` and `POST /slack/interactions` (API Gateway v2 events, locally and in AWS).
 *
 * Every request is verified first (verify.ts); a refused one gets 401 with no detail and changes nothing.
 * After that, Slack always gets a 200 with something a person can read: a failure of ours (DynamoDB down...)
 * is logged and answered with an ephemeral apology, never a 500 (Slack would show a bare "failed" error).
 */
import { json, router, type HttpEvent, type HttpResult } from '../api/http';
import type { Runtime } from '../runtime';
import { runSlashCommand, slashCommandForm } from './commands';
import { handleInteraction, parseInteractionPayload } from './interactions';
import { ephemeral, type SlackReply } from './replies';
import { postToResponseUrl, SLACK_DEADLINE_MS } from './timing';
import { formBody, ReplayCache, verifySlackRequest } from './verify';

/** One replay memory per runtime, i.e. per Lambda container (or local server): best effort, see verify.ts. */
const replayCaches = new WeakMap<Runtime, ReplayCache>();
function replayCacheOf(rt: Runtime): ReplayCache {
  let c = replayCaches.get(rt);
  if (!c) replayCaches.set(rt, (c = new ReplayCache()));
  return c;
}

const unauthorized = (): HttpResult => ({ statusCode: 401, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: '' });

function reply(body: SlackReply): HttpResult {
  return json(200, body);
}

async function commandRoute(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  const started = Date.now();
  const fields = formBody(event);
  // ssl_check: Slack checking the certificate of a slash-command URL; nothing to do.
  if (fields.get('ssl_check') === '1') return { statusCode: 200, body: '' };
  const form = slashCommandForm(fields);
  let answer: SlackReply;
  try {
    answer = await runSlashCommand(rt, form);
  } catch (err) {
    rt.logger.error('slash command failed', { error: rt.redact?.((err as Error).message) ?? (err as Error).message, name: (err as Error).name });
    answer = ephemeral(':warning: Something went wrong on our side and nothing may have been done; the error was logged. Try again in a moment.');
  }
  if (Date.now() - started > SLACK_DEADLINE_MS && form.responseUrl) {
    // Slack has probably given up on this HTTP answer: say the same thing through response_url (timing.ts).
    await postToResponseUrl(rt, form.responseUrl, answer);
  }
  return reply(answer);
}

async function interactionRoute(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  const payload = parseInteractionPayload(formBody(event).get('payload'));
  if (!payload) return json(400, { error: 'payload: expected a JSON object' });
  try {
    const outcome = await handleInteraction(rt, payload);
    if (outcome.kind === 'ignored') rt.logger.info('slack interaction ignored', { reason: outcome.reason });
  } catch (err) {
    rt.logger.error('slack interaction failed', { error: rt.redact?.((err as Error).message) ?? (err as Error).message, name: (err as Error).name });
    await postToResponseUrl(rt, payload.response_url, {
      ...ephemeral(':warning: Something went wrong on our side and nothing may have been done; the error was logged. Try again, or use `/incident`.'),
      replace_original: false,
    });
  }
  // Slack only needs a 200 within 3 s; the message itself was updated through response_url.
  return { statusCode: 200, body: '' };
}

const routes = router<Runtime>([
  { method: 'POST', path: '/slack/commands', handler: (e, _p, rt) => commandRoute(e, rt) },
  { method: 'POST', path: '/slack/interactions', handler: (e, _p, rt) => interactionRoute(e, rt) },
]);

/** The Slack function's work for one API Gateway v2 event. */
export async function slackRoutes(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  const secret = rt.config.slackSigningSecret;
  if (!secret) {
    rt.logger.warn('SLACK_SIGNING_SECRET (SST secret SlackSigningSecret) is not set: every Slack request is refused');
    return unauthorized();
  }
  const verdict = verifySlackRequest(event, { secret, now: rt.now(), replay: replayCacheOf(rt) });
  if (!verdict.ok) {
    rt.logger.warn('slack request refused', { reason: verdict.reason, path: event.rawPath });
    return unauthorized();
  }
  return routes(event, rt);
}
