/** `npm start` with SLACK_BOT_TOKEN, SLACK_CHANNEL and SLACK_API_URL: the local server posts through the Web API peer. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouterProcess, type StartedRouter } from './helpers/npm-start';
import { startSlackWebApiPeer, type SlackWebApiPeer } from './helpers/slack-web-api-peer';

const ROOT = new URL('..', import.meta.url).pathname;
const example = (name: string) => readFileSync(`${ROOT}examples/${name}`, 'utf8');

describe('npm start with the Slack Web API', () => {
  let peer: SlackWebApiPeer;
  let app: StartedRouter;
  beforeAll(async () => {
    peer = await startSlackWebApiPeer();
    app = await startRouterProcess([], { SLACK_BOT_TOKEN: peer.token, SLACK_CHANNEL: '#incidents', SLACK_API_URL: peer.apiUrl });
  });
  afterAll(async () => {
    await app?.stop();
    await peer?.close();
  });

  it('an alarm is one chat.postMessage; its OK a thread reply and an edit of that message; the token never printed', async () => {
    const post = (body: string) => fetch(`${app.url}/sns`, { method: 'POST', body, headers: { 'content-type': 'text/plain; charset=UTF-8' } });
    expect((await post(example('high-response-time-alarm.http.json'))).status).toBe(200);
    await expect.poll(() => peer.topLevel().length, { timeout: 20_000, interval: 20 }).toBe(1);
    const parent = peer.topLevel()[0];
    expect(parent.text).toContain('HighResponseTime');

    expect((await post(example('high-response-time-ok.http.json'))).status).toBe(200);
    await expect.poll(() => peer.replies(parent.ts).length, { timeout: 20_000, interval: 20 }).toBe(1);
    expect(parent.edits).toHaveLength(1);
    expect(parent.text).toMatch(/^:white_check_mark: \*Resolved\*/);
    expect(peer.topLevel()).toHaveLength(1);

    const health = (await (await fetch(`${app.url}/health`)).json()) as Record<string, unknown>;
    expect(JSON.stringify(health)).not.toContain(peer.token);
    expect(app.output()).not.toContain(peer.token);
  });
});
