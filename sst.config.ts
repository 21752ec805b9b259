/// <reference path="./.sst/platform/config.d.ts" />

/**
 * The AWS region of each stage, pinned here rather than taken from the shell's AWS_REGION, so `sst secret set`
 * and `sst deploy` always find the same state and secrets. Add a line for a stage that lives elsewhere.
 */
const STAGE_REGIONS: Record<string, string> = {
  production: 'eu-west-1',
  staging: 'eu-west-1',
};
/** Any other stage (`dev`, a name, `pr-42`). */
const DEFAULT_REGION = 'eu-west-1';

/**
 * Alert router on AWS. Stacks are split by concern (stacks/*.ts); each exports a function of its
 * dependencies. Deploy-time settings come from the environment / `.env` (stacks/settings.ts),
 * credentials from `sst secret set` (stacks/secrets.ts). The deploy guide: docs/deploy.md.
 */
export default $config({
  app(input) {
    const stage = input?.stage ?? '';
    const production = stage === 'production';
    return {
      name: 'alert-router',
      home: 'aws',
      providers: { aws: { region: STAGE_REGIONS[stage] ?? DEFAULT_REGION } },
      removal: production ? 'retain' : 'remove',
      protect: production,
    };
  },
  async run() {
    const { readSettings } = await import('./stacks/settings');
    const { secrets } = await import('./stacks/secrets');
    const { storage } = await import('./stacks/storage');
    const { api } = await import('./stacks/api');
    const { alarms } = await import('./stacks/alarms');
    const { schedules } = await import('./stacks/schedules');
    const { watch } = await import('./stacks/watch');
    const { exampleAlarms } = await import('./stacks/example-alarms');

    const settings = readSettings($app.stage, process.env);
    const secret = secrets();
    const { table } = storage();
    // Every function routerFunction builds is recorded here, so the ops topic watches each one.
    const built: Record<string, sst.aws.Function> = {};
    const http = api({ table, secrets: secret, settings, built });
    const deps = { table, secrets: secret, settings, dashboardUrl: http.url, built };
    const routing = alarms(deps);
    const scheduled = schedules(deps);
    const ops = watch({
      settings,
      functions: built,
      withDestination: ['AlarmHandler', 'EscalateHandler'],
      deadLetterQueues: [
        { queue: routing.dlq, suffix: 'alarm-dlq', holds: 'CloudWatch alarm notifications' },
        { queue: scheduled.escalateDlq, suffix: 'escalate-dlq', holds: 'escalation sweeps' },
      ],
    });
    if (settings.exampleAlarms) exampleAlarms({ topics: routing.topics, settings: settings.exampleAlarms });

    return {
      criticalTopicArn: routing.topics.critical.arn,
      highTopicArn: routing.topics.high.arn,
      mediumTopicArn: routing.topics.medium.arn,
      lowTopicArn: routing.topics.low.arn,
      opsTopicArn: ops.topic.arn,
      apiUrl: http.url,
      slackCommandsUrl: $interpolate`${http.url}/slack/commands`,
      slackInteractionsUrl: $interpolate`${http.url}/slack/interactions`,
      deadLetterQueueUrl: routing.dlq.url,
      escalateDeadLetterQueueUrl: scheduled.escalateDlq.url,
      alarmFunctionName: routing.alarmFunction.name,
      tableName: table.name,
    };
  },
});
