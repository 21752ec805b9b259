import { buildRuntime, liveChannels, loadPolicy, readConfig, readEnv, setRuntime, type Runtime } from '@alert-router/aws';
import { useSmtpTransport } from '@alert-router/aws/notifiers/email';
import { useHttpTransport } from '@alert-router/aws/notifiers/http';
import { BACKGROUND_LIMIT, BackgroundSends } from './background';
import { demoDeliveries } from './demo';
import { ensureTable, startDynalite, type LocalDynamo } from './dynalite';
import { LOCAL_HANDLERS } from './handlers';
import { SqliteSilenceStore, sqliteReplayClaims } from './sqlite-records';
import { SQLITE_FILE, SqliteIncidentStore } from './sqlite-store';
import { startScheduler, type LocalScheduler } from './scheduler';
import { startSendThread } from './send-thread';
import { startLocalServer, type LocalServer } from './server';

export interface RouterOptions {
  port?: number;
  host?: string;
  /** Keep the store in this folder (SQLite file, or LevelDB for dynalite) instead of memory. */
  dataDir?: string;
  /** The embedded store: SQLite (default) or dynalite (a DynamoDB on this machine, the AWS adapter's peer). */
  store?: LocalStoreKind;
  demo?: boolean;
  verbose?: boolean;
  /** Run the escalation/digest schedules (default true). */
  schedules?: boolean;
  /**
   * Fan-outs that may run after their answer at once (default BACKGROUND_LIMIT); past it, and with 0 always, an
   * answer waits for its own sends, as the Lambda does (a failed send is then a 502).
   */
  backgroundLimit?: number;
  /** Slack's and PagerDuty's HTTP and email's SMTP on a thread of its own (send-thread.ts; default true). */
  sendThread?: boolean;
  log?: (line: string) => void;
}

export type LocalStoreKind = 'sqlite' | 'dynalite';
export const LOCAL_STORES: readonly LocalStoreKind[] = ['sqlite', 'dynalite'];

export interface RunningRouter {
  url: string;
  server: LocalServer;
  /** Only with `store: 'dynalite'`. */
  dynamo: LocalDynamo | null;
  scheduler: LocalScheduler | null;
  /** The alarm path's sends still in flight after their answer. */
  background: BackgroundSends;
  /** Stops taking requests, finishes the sends in flight, then closes the store. */
  close(): Promise<void>;
}

/**
 * The embedded default: SQLite (or dynalite) + the local HTTP surface + local schedules, all calling the same Lambda
 * handlers as AWS. Configuration comes from the environment exactly as in Lambda.
 */
export async function startRouter(opts: RouterOptions = {}): Promise<RunningRouter> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  process.env.ROUTER_TABLE ||= 'alert-router-local';
  process.env.AWS_REGION ||= 'us-east-1';
  readEnv(); // every variable valid before anything starts
  const kind = opts.store ?? 'sqlite';
  let dynamo: LocalDynamo | null = null;
  let sqlite: SqliteIncidentStore | null = null;
  if (kind === 'dynalite') {
    dynamo = await startDynalite({ path: opts.dataDir });
    process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
    const { ROUTER_TABLE, AWS_REGION } = readEnv(process.env, ['ROUTER_TABLE', 'AWS_REGION']);
    await ensureTable(dynamo.endpoint, ROUTER_TABLE, AWS_REGION ?? 'us-east-1');
  } else {
    sqlite = opts.dataDir ? SqliteIncidentStore.inDirectory(opts.dataDir) : new SqliteIncidentStore();
  }
  const policy = await loadPolicy(readConfig());

  const server = await startLocalServer({ handlers: LOCAL_HANDLERS, host: opts.host, port: opts.port ?? 3000, log });
  // Like the runtime below: installed before the first request can be read (no await since listening).
  const sendThread = opts.sendThread === false ? null : startSendThread();
  const undo = sendThread ? [useHttpTransport(sendThread.fetch), useSmtpTransport(sendThread.smtpTransport)] : [];
  const stopUsingThread = () => undo.forEach((u) => u());
  process.env.DASHBOARD_URL ||= server.url;
  const config = readConfig();
  // Installed before the first request can be read (no await since listening): every handler runs on this runtime.
  const limit = opts.backgroundLimit ?? BACKGROUND_LIMIT;
  const background = new BackgroundSends(limit, (err) =>
    rt.logger.error('background fan-out failed; its notices stay recorded and the sweep resends them', { error: rt.redact(String(err)) }),
  );
  const stores = sqlite ? { store: sqlite, silences: new SqliteSilenceStore(sqlite.db), replayClaims: sqliteReplayClaims(sqlite.db) } : {};
  const rt: Runtime = { ...buildRuntime(config, { policy, ...stores }), background: limit > 0 ? background.take : undefined };
  setRuntime(rt);
  const scheduler = opts.schedules === false ? null : startScheduler(LOCAL_HANDLERS, log);

  const live = liveChannels(config);
  log(`alert-router listening on ${server.url}`);
  log(`  dashboard  ${server.url}/`);
  log(`  SNS        POST ${server.url}/sns   (point an SNS HTTP subscription here, or curl an alarm JSON)`);
  log(`  webhooks   POST ${server.url}/webhooks/{sentry,gcp,azure,alertmanager,generic}   (SENTRY_CLIENT_SECRET, WEBHOOK_TOKEN)`);
  const where = opts.dataDir
    ? `in ${kind === 'sqlite' ? `${opts.dataDir}/${SQLITE_FILE}` : opts.dataDir}`
    : 'in memory (use --data DIR to keep incidents across restarts)';
  log(`  store      ${kind} ${where}`);
  log(
    `  channels   ${Object.entries(live)
      .map(([c, on]) => `${c}: ${on ? 'live' : 'local outbox'}`)
      .join(' · ')}`,
  );

  if (opts.demo) {
    for (const d of demoDeliveries()) {
      const r = await fetch(`${server.url}/sns`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
        body: JSON.stringify(d.body),
      });
      const out = (await r.json().catch(() => ({}))) as { outcomes?: { kind: string; incidentId: string | null; severity: string }[] };
      const o = out.outcomes?.[0];
      log(`  demo: ${d.label}: ${r.status} ${o ? `${o.kind} ${o.incidentId ?? ''} ${o.severity}` : ''}`);
    }
  }

  return {
    url: server.url,
    server,
    dynamo,
    scheduler,
    background,
    close: async () => {
      // A sweep in progress finishes (its sends and their outcomes) before the store closes under it.
      await scheduler?.stop();
      await server.close();
      if (background.size > 0) log(`stopping: finishing ${background.size} send${background.size === 1 ? '' : 's'} in flight`);
      await background.drain();
      stopUsingThread();
      await sendThread?.close();
      setRuntime(undefined);
      sqlite?.close();
      await dynamo?.close();
    },
  };
}
