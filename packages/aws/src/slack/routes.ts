/**
 * `POST /slack/commands` and `POST /slack/interactions` (API Gateway v2 events, locally and in AWS).
 *
 * Every request is verified first (verify.ts), then its signature is claimed in the table so that no container
 * accepts it twice (replay-store.ts); a refused one gets 401 with no detail and changes nothing.
 * After that, Slack always gets a 200 with something a person can read: a failure of ours (DynamoDB down...)
 * is logged and answered with an ephemeral apology, never a 500 (Slack would show a bare "failed" error).
 */
import { claimSlackSignature, type ReplayClaimTimes } from './replay-store';
import { header, json, router, type HttpEvent, type HttpResult } from '../api/http';
import type { Runtime } from '../runtime';
import { runSlashCommand, slashCommandForm } from './commands';
import { handleInteraction, parseInteractionPayload } from './interactions';
import { ephemeral, type SlackReply } from './replies';
import { postToResponseUrl, SLACK_DEADLINE_MS } from './timing';
import { formBody, ReplayCache, verifySlackRequest } from './verify';

/**
 * One replay memory per runtime, i.e. per Lambda container (or local server): a free first check that saves the
 * DynamoDB write for replays to the same container. The shared check is the table (replay-store.ts).
 */
const replayCaches = new WeakMap<Runtime, ReplayCache>();
function replayCacheOf(rt: Runtime): ReplayCache {
  let c = replayCaches.get(rt);
  if (!c) replayCaches.set(rt, (c = new ReplayCache()));
  return c;
}

const deadlineClock = (rt: Runtime): (() => number) => rt.deadlineClock ?? Date.now;

const unauthorized = (): HttpResult => ({ statusCode: 401, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: '' });

function reply(body: SlackReply): HttpResult {
  return json(200, body);
}

const OUR_FAILURE = ':warning: Something went wrong on our side and nothing may have been done; the error was logged.';

/** What a route sees: the runtime, and when the request arrived (Slack's 3 s count from there). */
interface SlackContext {
  rt: Runtime;
  receivedAt: number;
}

async function commandRoute(event: HttpEvent, { rt, receivedAt: started }: SlackContext): Promise<HttpResult> {
  const fields = formBody(event);
  // ssl_check: Slack checking the certificate of a slash-command URL; nothing to do.
  if (fields.get('ssl_check') === '1') return { statusCode: 200, body: '' };
  const form = slashCommandForm(fields);
  let answer: SlackReply;
  try {
    answer = await runSlashCommand(rt, form);
  } catch (err) {
    rt.logger.error('slash command failed', { error: rt.redact((err as Error).message), name: (err as Error).name });
    answer = ephemeral(`${OUR_FAILURE} Try again in a moment.`);
  }
  if (deadlineClock(rt)() - started > SLACK_DEADLINE_MS && form.responseUrl) {
    // Slack has probably given up on this HTTP answer: say the same thing through response_url (timing.ts).
    await postToResponseUrl(rt, form.responseUrl, answer);
  }
  return reply(answer);
}

async function interactionRoute(event: HttpEvent, { rt }: SlackContext): Promise<HttpResult> {
  const payload = parseInteractionPayload(formBody(event).get('payload'));
  if (!payload) return json(400, { error: 'payload: expected a JSON object' });
  try {
    const outcome = await handleInteraction(rt, payload);
    if (outcome.kind === 'ignored') rt.logger.info('slack interaction ignored', { reason: outcome.reason });
  } catch (err) {
    rt.logger.error('slack interaction failed', { error: rt.redact((err as Error).message), name: (err as Error).name });
    await postToResponseUrl(rt, payload.response_url, {
      ...ephemeral(`${OUR_FAILURE} Try again, or use \`/incident\`.`),
      replace_original: false,
    });
  }
  // Slack only needs a 200 within 3 s; the message itself was updated through response_url.
  return { statusCode: 200, body: '' };
}

const routes = router<SlackContext>([
  { method: 'POST', path: '/slack/commands', handler: (e, _p, ctx) => commandRoute(e, ctx) },
  { method: 'POST', path: '/slack/interactions', handler: (e, _p, ctx) => interactionRoute(e, ctx) },
]);

/**
 * The replay claim could not be made (DynamoDB unreachable or too slow): the request is not acted on (it might
 * be a replay), and the person is told in words, like any other failure of ours after verification.
 */
async function unclaimed(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  if (event.rawPath === '/slack/commands') return reply(ephemeral(`${OUR_FAILURE} Try again in a moment.`));
  if (event.rawPath === '/slack/interactions') {
    const payload = parseInteractionPayload(formBody(event).get('payload'));
    if (payload) await postToResponseUrl(rt, payload.response_url, { ...ephemeral(`${OUR_FAILURE} Try again in a moment.`), replace_original: false });
    return { statusCode: 200, body: '' };
  }
  return { statusCode: 503, headers: { 'cache-control': 'no-store' }, body: '' };
}

/** The Slack function's work for one API Gateway v2 event. */
export async function slackRoutes(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  const secret = rt.config.slackSigningSecret;
  if (!secret) {
    rt.logger.warn('SLACK_SIGNING_SECRET (SST secret SlackSigningSecret) is not set: every Slack request is refused');
    return unauthorized();
  }
  const receivedAt = deadlineClock(rt)();
  const now = rt.now();
  const verdict = verifySlackRequest(event, { secret, now, replay: replayCacheOf(rt) });
  if (!verdict.ok) {
    rt.logger.warn('slack request refused', { reason: verdict.reason, path: event.rawPath });
    return unauthorized();
  }
  // Verified, so both headers are there and well-formed. One conditional write, shared by all containers.
  const signature = header(event, 'x-slack-signature')!;
  const requestTimestamp = Number(header(event, 'x-slack-request-timestamp')!.trim());
  let first: boolean;
  try {
    const claim = rt.replayClaims ?? ((sig: string, o: ReplayClaimTimes) => claimSlackSignature(rt.db, rt.config.tableName, sig, o));
    first = await claim(signature, { nowSeconds: Math.floor(now.getTime() / 1000), requestTimestamp });
  } catch (err) {
    const e = err as Error;
    rt.logger.error('slack replay check failed; request not acted on', { error: rt.redact(e.message), name: e.name, path: event.rawPath });
    return unclaimed(event, rt);
  }
  if (!first) {
    rt.logger.warn('slack request refused', { reason: 'replay', shared: true, path: event.rawPath });
    return unauthorized();
  }
  return routes(event, { rt, receivedAt });
}
