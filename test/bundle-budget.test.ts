/**
 * The alarm function's bundle as SST builds it (esbuild, minified, code splitting, @aws-sdk/* external):
 * what a cold start loads stays within budget, and email (nodemailer, SES) and the YAML policy loader are
 * chunks loaded on first use only. Sizes come from esbuild's metafile (deterministic, no timing).
 */
import { copyFileSync, mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_PATH } from '@alert-router/core/policy-file';
import { buildLambdaBundle, ROOT, runFirstEvent, sampleSnsEvent, startBytesByPackage, type LambdaBundle } from '../bench/lib/lambda-bundle';
import { HANDLERS } from '../stacks/settings';
import { localStore } from './helpers/local-dynamo';
import { startSlackPeer, type HttpPeer } from './helpers/peers';

/** Bytes the alarm function may load at start, without the AWS SDK (issue 12). */
const ALARM_START_BUDGET = 300 * 1024;

const inPackage = (inputs: string[], pkg: string) => inputs.filter((i) => i.includes(`node_modules/${pkg}/`));

describe('alarm function bundle', () => {
  let bundle: LambdaBundle;
  beforeAll(async () => {
    bundle = await buildLambdaBundle('alarm');
  });

  it(`loads at most ${ALARM_START_BUDGET / 1024} KiB at start (SDK external)`, () => {
    const top = startBytesByPackage(bundle)
      .slice(0, 6)
      .map((p) => `${p.name} ${(p.bytes / 1024).toFixed(1)} KiB`);
    console.log(
      `alarm bundle: ${(bundle.startBytes / 1024).toFixed(1)} KiB at start, ${(bundle.totalBytes / 1024).toFixed(1)} KiB with lazy chunks; ${top.join(', ')}`,
    );
    expect(bundle.startBytes, `largest: ${top.join(', ')}`).toBeLessThanOrEqual(ALARM_START_BUDGET);
  });

  it('has no static import of nodemailer, the SES client, yaml, @slack/web-api or the policy schema: they are lazy chunks', () => {
    for (const pkg of ['nodemailer', 'yaml', '@slack/web-api']) {
      expect(inPackage(bundle.startInputs, pkg), pkg).toEqual([]);
      expect(inPackage(bundle.lazyInputs, pkg).length, `${pkg} in a lazy chunk`).toBeGreaterThan(0);
    }
    expect(bundle.startInputs).not.toContain('packages/aws/src/notifiers/mailer.ts');
    expect(bundle.startInputs).not.toContain('packages/core/src/policy-schema.ts');
    expect(bundle.lazyInputs).toContain('packages/aws/src/notifiers/mailer.ts');
    // @aws-sdk/client-sesv2 is external: only the lazy mailer chunk may import it.
    const outputs = bundle.metafile.outputs;
    const sesImporters = Object.entries(outputs)
      .filter(([, o]) => o.imports.some((i) => i.path === '@aws-sdk/client-sesv2'))
      .map(([f]) => f);
    expect(sesImporters.length).toBeGreaterThan(0);
    for (const f of sesImporters) expect(Object.keys(outputs[f].inputs)).toContain('packages/aws/src/notifiers/mailer.ts');
  });

  it("takes no luxon in, at start or later: the business calendar reads the runtime's time-zone data (Intl)", () => {
    expect(inPackage(bundle.startInputs, 'luxon')).toEqual([]);
    expect(inPackage(bundle.lazyInputs, 'luxon')).toEqual([]);
    expect(bundle.startInputs).toContain('packages/core/src/business-calendar.ts');
  });

  it('takes no dashboard, Slack-command or digest code in through barrels', () => {
    const foreign = bundle.startInputs.filter((i) =>
      /packages\/aws\/src\/(dashboard|slack|digest|api)\/|packages\/core\/src\/(render\/(dashboard|digest)|digest|slack-command)/.test(i),
    );
    expect(foreign).toEqual([]);
  });
});

/** Bytes the webhook function (Sentry, GCP, Azure, Alertmanager, generic) may load at start: its schemas use zod/mini. */
const WEBHOOKS_START_BUDGET = 320 * 1024;

describe('webhook function bundle', () => {
  it(`loads at most ${WEBHOOKS_START_BUDGET / 1024} KiB at start (SDK external), without the classic zod`, async () => {
    const bundle = await buildLambdaBundle('webhooks');
    const top = startBytesByPackage(bundle)
      .slice(0, 6)
      .map((p) => `${p.name} ${(p.bytes / 1024).toFixed(1)} KiB`);
    expect(bundle.startBytes, `largest: ${top.join(', ')}`).toBeLessThanOrEqual(WEBHOOKS_START_BUDGET);
    expect(bundle.startInputs.filter((i) => i.includes('node_modules/zod/v4/classic/'))).toEqual([]);
  });
});

describe('every function bundle', () => {
  it.each(Object.keys(HANDLERS))("%s: zod's English messages are in what a cold start loads wherever zod/mini is", async (fn) => {
    const bundle = await buildLambdaBundle(fn);
    if (!bundle.startInputs.some((i) => i.includes('node_modules/zod/v4/mini/'))) return;
    // Without a locale zod/mini says only "Invalid input": a stored record or a setting would be refused without saying why.
    expect(bundle.startInputs.filter((i) => i.endsWith('node_modules/zod/v4/locales/en.js'))).toHaveLength(1);
  });
});

describe('alarm bundle in a fresh node process', () => {
  const dir = join(ROOT, 'node_modules', '.cache', `alarm-bundle-test-${process.pid}`); // inside node_modules: @aws-sdk resolves
  let written: LambdaBundle;
  let local: Awaited<ReturnType<typeof localStore>>;
  let slack: HttpPeer;
  let env: Record<string, string>;

  beforeAll(async () => {
    [written, local, slack] = await Promise.all([buildLambdaBundle('alarm', { outdir: dir }), localStore(), startSlackPeer()]);
    env = {
      PATH: process.env.PATH ?? '',
      ROUTER_TABLE: local.tableName,
      DYNAMODB_ENDPOINT: local.endpoint,
      AWS_REGION: 'eu-west-1',
      SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/XXXX`,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([local?.close(), slack?.close()]);
  });

  it('handles its first SNS event with the nodemailer and YAML chunks deleted (email not configured)', async () => {
    const lazyFiles = Object.entries(written.metafile.outputs)
      .filter(([, o]) => Object.keys(o.inputs).some((i) => /node_modules\/(nodemailer|yaml)\//.test(i)))
      .map(([f]) => join(ROOT, f));
    expect(lazyFiles.length).toBeGreaterThan(0);
    for (const f of lazyFiles) unlinkSync(f);

    const r = await runFirstEvent(written.entry, sampleSnsEvent('ColdStartProbe', new Date('2026-12-01T08:00:00Z')), env);
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, outcomes: ['opened'], deadLettered: 0 });
    expect(slack.received).toHaveLength(1);
    expect(JSON.stringify(slack.received[0].body)).toContain('ColdStartProbe');
  });

  it('loads the YAML policy chunk for ROUTER_POLICY_FILE, and only then', async () => {
    const fresh = join(dir, 'fresh');
    mkdirSync(fresh, { recursive: true });
    const again = await buildLambdaBundle('alarm', { outdir: fresh });
    const policy = join(fresh, 'policy.yaml');
    copyFileSync(DEFAULT_POLICY_PATH, policy);
    const ok = await runFirstEvent(again.entry, sampleSnsEvent('PolicyFileProbe', new Date('2026-12-01T08:01:00Z')), { ...env, ROUTER_POLICY_FILE: policy });
    expect(ok.error).toBeUndefined();
    expect(ok).toMatchObject({ ok: true, outcomes: ['opened'] });

    const missing = await runFirstEvent(again.entry, sampleSnsEvent('PolicyFileProbe2', new Date('2026-12-01T08:02:00Z')), {
      ...env,
      ROUTER_POLICY_FILE: join(fresh, 'nope.yaml'),
    });
    expect(missing).toMatchObject({ ok: false });
    expect(missing.error).toMatch(/nope\.yaml: cannot read policy file \(ENOENT\)/);
  });
});
