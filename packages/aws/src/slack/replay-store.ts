/**
 * Slack replay protection shared by every Lambda container, through the router's table.
 *
 * verify.ts checks the signature and the 5-minute window, and remembers signatures in a per-container LRU (a
 * free first check). That memory is not enough on its own: a captured signed request replayed to *another*
 * container (or after a cold start) within the window would pass. So once a request has verified, its
 * signature is claimed here with ONE conditional PutItem: the first claim wins, any later one (from any
 * container) fails the condition and the request is refused as a replay.
 *
 * Item: pk `REPLAY#<sha256 hex of the lower-case signature>`, sk `REPLAY`, and the table's TTL attribute 10 minutes
 * ahead (the signature is only acceptable for 5 minutes either side of its timestamp; DynamoDB's TTL deletes
 * late, never early, and dynalite has no TTL at all — an item that outlives its TTL only refuses a request the
 * window refuses anyway). The hash keeps keys short and fixed-length; it is not there for secrecy.
 *
 * Slack retries: only Events API deliveries are retried by Slack (header `x-slack-retry-num`, right away, after
 * 1 min and after 5 min); slash commands and interactivity payloads — all this router receives — are never
 * retried (the person sees "operation_timeout" and runs the command again, which is a new, newly signed
 * request). A retry is a new HTTP request signed when sent: it carries its own X-Slack-Request-Timestamp (a
 * 5-minute-late retry could not pass the 5-minute window otherwise), hence its own signature, and is not
 * refused here. Only a byte-identical resend (same timestamp, same body, same signature) is refused, which is
 * exactly a replay: the first copy was verified and handled (or answered with our apology) already. The claim
 * is made before the command runs, so a container that dies mid-command leaves the signature claimed; as Slack
 * never resends a command or a button press, nothing legitimate is lost by that.
 */
import { createHash } from 'node:crypto';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../table';

/** How far ahead of the request the claim's TTL is set (twice Slack's 5-minute window). */
export const REPLAY_TTL_SECONDS = 10 * 60;
/**
 * The most the claim may take (SDK retries included): Slack wants the whole answer within 3 s, and the command
 * behind the request still has to run. Past this the request is answered as a failure of ours, not run.
 */
export const REPLAY_CLAIM_TIMEOUT_MS = 800;

export const REPLAY_SORT_KEY = 'REPLAY';

export interface ReplayClaimTimes {
  nowSeconds: number;
  requestTimestamp: number;
  timeoutMs?: number;
}

/** Claims a verified signature for the whole deployment: true the first time, false for a replay; throws when it cannot tell. */
export type ReplayClaims = (signature: string, opts: ReplayClaimTimes) => Promise<boolean>;

/** How long a claim is kept, in seconds from the later of now and the request's timestamp. */
export function replayClaimExpiry(opts: ReplayClaimTimes): number {
  return Math.max(opts.nowSeconds, opts.requestTimestamp) + REPLAY_TTL_SECONDS;
}

/** The item key a signature is claimed under. */
export function replayKey(signature: string): Record<string, string> {
  const hash = createHash('sha256').update(signature.trim().toLowerCase(), 'utf8').digest('hex');
  return { [TABLE.partitionKey]: `REPLAY#${hash}`, [TABLE.sortKey]: REPLAY_SORT_KEY };
}

/**
 * Claims `signature` for the whole deployment. `true`: first time anyone saw it, go ahead. `false`: already
 * claimed (by this or another container), i.e. a replay. Throws on any other failure (DynamoDB unreachable,
 * throttled past the timeout...): the caller must then not act on the request.
 */
export async function claimSlackSignature(db: DynamoDBDocumentClient, tableName: string, signature: string, opts: ReplayClaimTimes): Promise<boolean> {
  try {
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...replayKey(signature), [TABLE.ttlAttribute]: replayClaimExpiry(opts) },
        ConditionExpression: `attribute_not_exists(${TABLE.partitionKey})`,
      }),
      { abortSignal: AbortSignal.timeout(opts.timeoutMs ?? REPLAY_CLAIM_TIMEOUT_MS) },
    );
    return true;
  } catch (err) {
    if ((err as Error)?.name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/** Replay claims in memory (tests): the first claim of a signature wins until it expires. */
export function memoryReplayClaims(): ReplayClaims {
  const claims = new Map<string, number>();
  return async (signature, opts) => {
    const key = signature.trim().toLowerCase();
    const expires = claims.get(key);
    if (expires !== undefined && expires >= opts.nowSeconds) return false;
    claims.set(key, replayClaimExpiry(opts));
    return true;
  };
}
