/**
 * Function timeouts derived from the delivery budgets: plain data, no SST globals (unit tests import it).
 *
 * Each function's timeout is its worst case: the channel budgets it may spend one after the other, plus an
 * allowance for every DynamoDB request on that path, plus a fixed margin. The constants that mirror the code
 * are written out here (evaluating sst.config.ts must not load the application); test/infra-wiring.test.ts
 * checks each against the code's own value.
 */
import type { FunctionKey } from './settings';

/** DELIVERY_BUDGET_MS / DELIVERY_LEASE_MS defaults (packages/aws/src/config.ts). */
export const DEFAULT_DELIVERY_BUDGET_MS = 8000;
export const DEFAULT_DELIVERY_LEASE_MS = 45_000;
/** Per-channel budget for notices sent from Slack (packages/aws/src/slack/timing.ts), and its response_url POST. */
export const SLACK_CHANNEL_BUDGET_MS = 1500;
export const RESPONSE_URL_TIMEOUT_MS = 2500;
/** The digest's and the hygiene report's own per-channel budget (packages/aws/src/digest/broadcast.ts). */
export const DIGEST_BUDGET_MS = 20_000;
/**
 * Query pages the digest and the hygiene report may read: up to DIGEST_READ_LIMIT (20,000) incidents of ~2 KB,
 * 1 MB a page.
 */
export const REPORT_READ_REQUESTS = 50;

/**
 * Allowance for one DynamoDB request, the SDK's retries included (4 attempts with backoff; a request answers in
 * ~10 ms when DynamoDB is well). An assumption, not a bound: the SDK sets no request timeout.
 */
export const DYNAMO_REQUEST_MS = 1000;
/** Handler start, logging and the metrics flush. */
export const MARGIN_MS = 2000;
/**
 * What one revision-guarded incident update sleeps backing off from other writers of the same item (an alarm storm
 * joining one group; CONTENTION_BUDGET_MS in packages/aws/src/store.ts). Past it a writer still waits up to 20 ms a
 * try, and its extra reads and writes (~10 ms each) fit the DynamoDB allowance above, which assumes 1 s a request.
 */
export const CONTENTION_BUDGET_MS = 2000;

/**
 * Longest timeout each function may have. The Slack and dashboard functions sit behind API Gateway, which
 * answers 503 after 30 s whatever the function does; the escalation sweep should end before the next one starts.
 */
export const TIMEOUT_CEILING_S: Record<FunctionKey, { seconds: number; why: string }> = {
  alarm: { seconds: 60, why: 'an alarm should be handled within a minute' },
  slack: { seconds: 30, why: "API Gateway's 30 s integration timeout" },
  dashboard: { seconds: 30, why: "API Gateway's 30 s integration timeout" },
  escalate: { seconds: 60, why: 'the sweep runs every minute' },
  digest: { seconds: 300, why: 'a digest that takes longer is stuck' },
  hygiene: { seconds: 300, why: 'a report that takes longer is stuck' },
  // API Gateway answers the sender 503 after 30 s (it retries); the function still finishes the alert's work.
  webhooks: { seconds: 60, why: 'an alert should be handled within a minute' },
};

export interface WorstCase {
  ms: number;
  /** How the figure is made, for error messages and the deploy guide. */
  how: string;
}

export interface Budgets {
  deliveryBudgetMs: number;
  deliveryLeaseMs: number;
}

/** Worst case of one invocation of each function, in milliseconds. */
export function worstCases({ deliveryBudgetMs: budget }: Budgets): Record<FunctionKey, WorstCase> {
  const dynamo = (n: number) => n * DYNAMO_REQUEST_MS;
  const slackBudget = Math.min(budget, SLACK_CHANNEL_BUDGET_MS);
  return {
    // An ALARM whose OK landed during its pages: latch, incident, fan-out, record, then the resolves that waited for
    // the pages (delivery.ts), recorded; an OK never waits for another worker.
    // Two of its incident updates may contend with a storm's other writers (the group's join, the outcomes).
    alarm: {
      ms: dynamo(7) + 2 * budget + 2 * CONTENTION_BUDGET_MS + MARGIN_MS,
      how: `2 × ${budget} ms fan-out (the pages, then the resolves that waited for them) + 7 DynamoDB requests + 2 × ${CONTENTION_BUDGET_MS} ms contention + margin`,
    },
    // Replay claim, read, conditional write, fan-out at the Slack budget, record, response_url.
    slack: {
      ms: dynamo(6) + slackBudget + RESPONSE_URL_TIMEOUT_MS + MARGIN_MS,
      how: `${slackBudget} ms fan-out + ${RESPONSE_URL_TIMEOUT_MS} ms response_url + 6 DynamoDB requests + margin`,
    },
    // Resolve from the dashboard: read, conditional write, latch release, fan-out, record, reschedule, read.
    dashboard: { ms: dynamo(6) + budget + MARGIN_MS, how: `${budget} ms fan-out + 6 DynamoDB requests + margin` },
    // Due query, silence refresh, then per incident (in parallel) the due notices, then the resolves that waited for them.
    escalate: {
      ms: dynamo(7) + 2 * budget + 2 * CONTENTION_BUDGET_MS + MARGIN_MS,
      how: `2 × ${budget} ms fan-out (ack, then resolve) + 7 DynamoDB requests + 2 × ${CONTENTION_BUDGET_MS} ms contention + margin`,
    },
    // Read the period's incidents (paged), then Slack and email in parallel under the report budget.
    digest: {
      ms: dynamo(REPORT_READ_REQUESTS) + DIGEST_BUDGET_MS + MARGIN_MS,
      how: `${DIGEST_BUDGET_MS} ms delivery + ${REPORT_READ_REQUESTS} DynamoDB pages + margin`,
    },
    hygiene: {
      ms: dynamo(REPORT_READ_REQUESTS) + DIGEST_BUDGET_MS + MARGIN_MS,
      how: `${DIGEST_BUDGET_MS} ms delivery + ${REPORT_READ_REQUESTS} DynamoDB pages + margin`,
    },
    // The alarm path for each alert of the body (in parallel), as for an SNS alarm.
    webhooks: {
      ms: dynamo(7) + 2 * budget + 2 * CONTENTION_BUDGET_MS + MARGIN_MS,
      how: `2 × ${budget} ms fan-out (the pages, then the resolves that waited for them) + 7 DynamoDB requests + 2 × ${CONTENTION_BUDGET_MS} ms contention + margin`,
    },
  };
}

/** Timeout in whole seconds for each function: its worst case, rounded up. */
export function timeoutsFor(budgets: Budgets): Record<FunctionKey, number> {
  const cases = worstCases(budgets);
  return Object.fromEntries(Object.entries(cases).map(([k, c]) => [k, Math.ceil(c.ms / 1000)])) as Record<FunctionKey, number>;
}

/** SST's duration string. */
export function seconds(n: number): `${number} seconds` {
  return `${n} seconds`;
}
