/**
 * A Lambda entry bundled the way SST builds it (stacks/functions.ts): esbuild, ESM, node22, minified, code
 * splitting on (dynamic imports become chunks loaded on first use), @aws-sdk/* external (the Lambda Node.js
 * runtime provides it). Shared by bench/bundle.ts (sizes, cold start) and test/bundle-budget.test.ts (budget).
 */
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** CommonJS dependencies in an ESM bundle need require/__dirname (SST adds the same banner). */
export const BANNER = [
  "import { createRequire as __bench_cr } from 'node:module';",
  "import { fileURLToPath as __bench_fu } from 'node:url';",
  "import { dirname as __bench_dn } from 'node:path';",
  'const require = __bench_cr(import.meta.url);',
  'const __filename = __bench_fu(import.meta.url);',
  'const __dirname = __bench_dn(__filename);',
].join('\n');

export interface LambdaBundle {
  /** The entry file (outdir/<fn>.mjs) when written, else its path in the metafile. */
  entry: string;
  /** Output files (relative to ROOT) a cold start loads: the entry and the chunks it imports statically, transitively. */
  startFiles: string[];
  /** Their bytes. */
  startBytes: number;
  /** Bytes of every output file (lazy chunks included). */
  totalBytes: number;
  /** Source files (metafile input paths, relative to ROOT) inside what a cold start loads. */
  startInputs: string[];
  /** Source files only in chunks loaded by dynamic import(). */
  lazyInputs: string[];
  metafile: Metafile;
}

export interface LambdaBundleOptions {
  /** Bundle @aws-sdk/* too (default: external, as on Lambda). */
  withSdk?: boolean;
  /** Write the files there; without it nothing is written (sizes come from the metafile). */
  outdir?: string;
}

/** Bundles functions/<fn>.ts as SST does and splits its outputs into loaded-at-start and loaded-on-demand. */
export async function buildLambdaBundle(fn: string, options: LambdaBundleOptions = {}): Promise<LambdaBundle> {
  const outdir = options.outdir ?? join(ROOT, 'node_modules', '.cache', 'alert-router-bundle-dry');
  const result = await build({
    metafile: true,
    write: options.outdir !== undefined,
    entryPoints: { [fn]: join(ROOT, 'functions', `${fn}.ts`) },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    external: options.withSdk ? [] : ['@aws-sdk/*'],
    banner: { js: BANNER },
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const metafile = result.metafile!;
  const outputs = metafile.outputs;
  // Chunks of dynamic imports have an entryPoint too: the function's is the one for its source file.
  const entry = Object.keys(outputs).find((o) => outputs[o].entryPoint === `functions/${fn}.ts`)!;
  const atStart = new Set<string>();
  const visit = (file: string) => {
    if (atStart.has(file)) return;
    atStart.add(file);
    for (const i of outputs[file].imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry);
  const inputsOf = (files: Iterable<string>) => new Set([...files].flatMap((f) => Object.keys(outputs[f].inputs)));
  const startInputs = inputsOf(atStart);
  const lazyInputs = [...inputsOf(Object.keys(outputs).filter((o) => !atStart.has(o)))].filter((i) => !startInputs.has(i));
  const size = (files: Iterable<string>) => [...files].reduce((n, f) => n + outputs[f].bytes, 0);
  return {
    entry: options.outdir !== undefined ? join(ROOT, entry) : entry,
    startFiles: [...atStart],
    startBytes: size(atStart),
    totalBytes: size(Object.keys(outputs)),
    startInputs: [...startInputs].sort(),
    lazyInputs: lazyInputs.sort(),
    metafile,
  };
}

/** The npm package a metafile input belongs to (`node_modules/@scope/name/...` → `@scope/name`), else its folder. */
export function packageOf(input: string): string {
  const nm = input.lastIndexOf('node_modules/');
  if (nm < 0) return input.startsWith('packages/') ? input.split('/').slice(0, 2).join('/') : input.split('/')[0];
  const rest = input.slice(nm + 'node_modules/'.length).split('/');
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

/** Bytes in the loaded-at-start outputs by package, largest first. */
export function startBytesByPackage(b: LambdaBundle): { name: string; bytes: number }[] {
  const start = new Set(b.startInputs);
  const byPkg = new Map<string, number>();
  for (const out of Object.values(b.metafile.outputs)) {
    for (const [input, v] of Object.entries(out.inputs)) {
      if (start.has(input)) byPkg.set(packageOf(input), (byPkg.get(packageOf(input)) ?? 0) + v.bytesInOutput);
    }
  }
  return [...byPkg.entries()].sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytes }));
}

/** One SNSEvent carrying a CloudWatch ALARM, as Lambda hands it to the alarm function. */
export function sampleSnsEvent(alarmName: string, at: Date): unknown {
  const alarm = {
    AlarmName: alarmName,
    AlarmDescription: 'cold start probe',
    AWSAccountId: '123456789012',
    NewStateValue: 'ALARM',
    NewStateReason: 'Threshold Crossed: 1 datapoint [97.0] was greater than the threshold (90.0).',
    StateChangeTime: at.toISOString().replace('Z', '+0000'),
    Region: 'EU (Ireland)',
    AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`,
    OldStateValue: 'OK',
    Trigger: {
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/EC2',
      Statistic: 'AVERAGE',
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 90,
      Dimensions: [{ name: 'InstanceId', value: 'i-0abc' }],
    },
  };
  const topic = 'arn:aws:sns:eu-west-1:123456789012:alert-router-prod-critical';
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topic}:00000000-0000-0000-0000-000000000000`,
        Sns: {
          Type: 'Notification',
          MessageId: `probe-${at.getTime()}`,
          TopicArn: topic,
          Subject: `ALARM: "${alarmName}"`,
          Message: JSON.stringify(alarm),
          Timestamp: at.toISOString(),
          SignatureVersion: '1',
          Signature: '',
          SigningCertUrl: '',
          UnsubscribeUrl: '',
          MessageAttributes: {},
        },
      },
    ],
  };
}

/**
 * Node code for a fresh process: import the bundle, hand its handler one SNSEvent, print how long after the
 * process started (performance.now(), whose origin is the process start) the event was handled, then exit.
 */
export function firstEventScript(entryUrl: string, event: unknown): string {
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'alarm',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:alarm',
    memoryLimitInMB: '512',
    awsRequestId: 'cold-start-probe',
    logGroupName: '/aws/lambda/alarm',
    logStreamName: 'probe',
  };
  return [
    `const { handler } = await import(${JSON.stringify(entryUrl)});`,
    `const context = { ...${JSON.stringify(context)}, getRemainingTimeInMillis: () => 30000 };`,
    'let out;',
    `try { const r = await handler(${JSON.stringify(event)}, context); const cpu = process.cpuUsage(); out = { ok: true, ms: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000, outcomes: r.outcomes.map((o) => o.kind), deadLettered: r.deadLettered.length }; }`,
    'catch (err) { out = { ok: false, ms: performance.now(), error: String(err && err.message || err) }; }',
    "process.stdout.write('FIRST_EVENT=' + JSON.stringify(out) + '\\n');",
    'process.exit(0);',
  ].join('\n');
}

export interface FirstEvent {
  ok: boolean;
  /** ms from the child's process start to its handler's answer. */
  ms: number;
  /** CPU ms (user + system, all threads) the child had used by then: less sensitive to a busy machine than `ms`. */
  cpuMs?: number;
  /** ms from spawn to exit, measured by the parent. */
  processMs: number;
  outcomes?: string[];
  deadLettered?: number;
  error?: string;
}

/** Spawns `node` on the bundle and hands it one event; `env` is the function's whole environment. */
export async function runFirstEvent(entryFile: string, event: unknown, env: Record<string, string>): Promise<FirstEvent> {
  const { spawn } = await import('node:child_process');
  const { pathToFileURL } = await import('node:url');
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', firstEventScript(pathToFileURL(entryFile).href, event)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  await new Promise<void>((resolve) => child.on('close', () => resolve()));
  const processMs = performance.now() - t0;
  const line = /FIRST_EVENT=(.*)/.exec(stdout)?.[1];
  if (!line) return { ok: false, ms: Number.NaN, processMs, error: (stderr || stdout).trim().split('\n').slice(-5).join(' ') };
  return { ...(JSON.parse(line) as Omit<FirstEvent, 'processMs'>), processMs };
}
