import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest } from '@alert-router/aws';
import { slashCommandBody } from './helpers/slack-requests';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { startRouterProcess, type StartedRouter } from './helpers/npm-start';

const SECRET = 'local-slack-signing-secret-for-tests';

interface ApiIncident {
  id: string;
  alarmName: string;
  status: string;
  acknowledgedBy: string | null;
  timeline: { type: string; by?: string }[];
}

describe('npm start: Slack slash command over HTTP', () => {
  let app: StartedRouter;
  beforeAll(async () => {
    app = await startRouterProcess([], { SLACK_SIGNING_SECRET: SECRET }); // npm start with a Slack signing secret
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function incidents(query = ''): Promise<ApiIncident[]> {
    const r = await fetch(`${app.url}/api/incidents${query}`);
    expect(r.status).toBe(200);
    return ((await r.json()) as { incidents: ApiIncident[] }).incidents;
  }

  it('a signed /incident ack acknowledges; a wrong signature gets 401 and changes nothing', async () => {
    const t = Date.now() - 600_000;
    for (const [n, alarm] of [RUNBOOK_ALARMS[0], RUNBOOK_ALARMS[1]].entries()) {
      const r = await fetch(`${app.url}/sns`, {
        method: 'POST',
        body: JSON.stringify(snsNotification(alarm, 'ALARM', new Date(t + n * 1000))),
        headers: { 'content-type': 'text/plain; charset=UTF-8' },
      });
      expect(r.status).toBe(200);
    }
    const open = await incidents('?status=open');
    const target = open.find((i) => i.alarmName === 'HighErrorRate')!;
    const other = open.find((i) => i.alarmName === 'HighResponseTime')!;
    expect(target).toBeDefined();
    expect(other).toBeDefined();

    // A wrong signature: 401, no detail, the incident stays open.
    const forged = slashCommandBody(`ack ${other.id}`);
    const bad = await fetch(`${app.url}/slack/commands`, { method: 'POST', body: forged, headers: signSlackRequest('not-the-secret', forged) });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toBe('');
    const unsigned = await fetch(`${app.url}/slack/commands`, {
      method: 'POST',
      body: forged,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(unsigned.status).toBe(401);

    // Signed, with the id typed loosely.
    const body = slashCommandBody(`ack ${target.id.slice(4).toLowerCase()}`);
    const headers = signSlackRequest(SECRET, body);
    const r = await fetch(`${app.url}/slack/commands`, { method: 'POST', body, headers });
    expect(r.status).toBe(200);
    const reply = (await r.json()) as { response_type: string; text: string };
    expect(reply.response_type).toBe('in_channel');
    expect(reply.text).toContain(target.id);

    const acked = await incidents('?status=acknowledged');
    expect(acked.map((i) => i.id)).toEqual([target.id]);
    expect(acked[0].acknowledgedBy).toContain('roadrunner');
    expect(acked[0].acknowledgedBy).toContain('U2CERLKJA');
    expect(acked[0].timeline).toContainEqual(expect.objectContaining({ type: 'acknowledged', by: 'slack:U2CERLKJA (roadrunner)' }));
    const stillOpen = (await incidents('?status=open')).find((i) => i.id === other.id)!;
    expect(stillOpen.status).toBe('open');
    expect(stillOpen.timeline.map((e) => e.type)).not.toContain('acknowledged');

    // The very same signed request again is a replay: 401.
    const replay = await fetch(`${app.url}/slack/commands`, { method: 'POST', body, headers });
    expect(replay.status).toBe(401);
  });
});
