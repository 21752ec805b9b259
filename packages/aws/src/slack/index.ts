/** What the Slack side offers to the rest of the code base (kept narrow: the helpers stay inside slack/). */
export { slackRoutes } from './routes';
export { ReplayCache, signSlackRequest, slackSignature, verifySlackRequest, SLACK_MAX_SKEW_SECONDS, type VerifyFailure, type VerifyResult } from './verify';
export { SLACK_CHANNEL_BUDGET_MS, SLACK_DEADLINE_MS } from './timing';
