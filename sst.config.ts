/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Alert router on AWS. Stacks are split by concern (stacks/*.ts); each exports a function of its
 * dependencies. Deploy-time settings come from the environment / `.env` (stacks/settings.ts),
 * credentials from `sst secret set` (stacks/secrets.ts). See docs/deploy.md.
 */
export default $config({
  app(input) {
    const production = input?.stage === 'production';
    return {
      name: 'alert-router',
      home: 'aws',
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
    const { exampleAlarms } = await import('./stacks/example-alarms');

    const settings = readSettings($app.stage, process.env);
    const secret = secrets();
    const { table } = storage();
    const http = api({ table, secrets: secret, settings });
    const deps = { table, secrets: secret, settings, dashboardUrl: http.url };
    const routing = alarms(deps);
    schedules(deps);
    if (settings.exampleAlarms) exampleAlarms({ topics: routing.topics, settings: settings.exampleAlarms });

    return {
      criticalTopicArn: routing.topics.critical.arn,
      highTopicArn: routing.topics.high.arn,
      mediumTopicArn: routing.topics.medium.arn,
      lowTopicArn: routing.topics.low.arn,
      apiUrl: http.url,
      slackCommandsUrl: $interpolate`${http.url}/slack/commands`,
      slackInteractionsUrl: $interpolate`${http.url}/slack/interactions`,
      deadLetterQueueUrl: routing.dlq.url,
      alarmFunctionName: routing.alarmFunction.name,
      tableName: table.name,
    };
  },
});
