import { snsMessageSchema } from '@alert-router/core/alarm-schema';
import { InputError, RouterError } from '@alert-router/core/errors';
import { INCIDENT_TEXT_LIMIT, trimmedForStorage } from '@alert-router/core/lifecycle';
import { parseSnsMessage, formatPath } from '@alert-router/core/parse';
import { processNotification, type Outcome } from './alarm-pipeline';
import type { Runtime } from './runtime';

export interface SnsBatchResult {
  outcomes: Outcome[];
  deadLettered: { path: string; reason: string }[];
}

/** An alarm message longer than this (or one whose fields the incident trims) is also kept whole as a raw record. */
const RAW_KEEP_CHARS = 16_000;

/** Thrown after recording, so that SNS / Lambda retries the invocation; the retry resends only what is due. */
export class RetryableDeliveryFailure extends RouterError {
  constructor(incidentIds: string[]) {
    super(`deliveries failed for ${incidentIds.join(', ')}; failing the invocation so it is retried`, { context: { incidentIds } });
    this.name = 'RetryableDeliveryFailure';
  }
}

function rawOf(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/**
 * The alarm Lambda's work for one SNSEvent: every record is parsed, routed and recorded; a record that cannot
 * be read is kept as a dead-letter record with the reason, never dropped.
 */
export async function handleSnsEvent(event: unknown, rt: Runtime): Promise<SnsBatchResult> {
  const deadLettered: SnsBatchResult['deadLettered'] = [];
  const keep = async (path: string, reason: string, raw: unknown) => {
    deadLettered.push({ path, reason });
    rt.logger.error('unreadable SNS record kept as dead letter', { path, reason });
    rt.metrics.count('DeadLettered');
    await rt.store.putDeadLetter({ at: rt.now().toISOString(), reason: `${path ? `${path}: ` : ''}${reason}`, source: 'sns', raw: rawOf(raw) });
  };

  const records = (event as { Records?: unknown })?.Records;
  if (!Array.isArray(records) || records.length === 0) {
    await keep('Records', 'expected a non-empty array of SNS records', event);
    return { outcomes: [], deadLettered };
  }
  rt.silenceCache.prefetch(); // read in parallel with the alarm's conditional write; awaited before fan-out
  const outcomes = await Promise.all(
    records.map(async (record, i): Promise<Outcome | null> => {
      const base = `Records[${i}].Sns`;
      const parsed = snsMessageSchema.safeParse((record as { Sns?: unknown })?.Sns);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        await keep(formatPath(base, issue.path), issue.message, record);
        return null;
      }
      let n;
      try {
        n = parseSnsMessage(parsed.data, base);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        await keep(err.path, err.message, record);
        return null;
      }
      // The raw text is kept beside the routing (in parallel), not before it: fan-out does not wait for it.
      const kept: string[] = [];
      for (const w of n.warnings) {
        rt.logger.warn('alarm message did not validate; routed as a plain message', { warning: w, messageId: n.sns?.messageId });
        kept.push(w);
      }
      if (n.kind === 'message' && n.warnings.length === 0 && (n.text?.length ?? 0) > INCIDENT_TEXT_LIMIT) {
        kept.push(
          `${base}.Message: a plain message of ${n.text!.length} characters; the incident keeps the first ${INCIDENT_TEXT_LIMIT}, this record the whole`,
        );
      } else if (n.warnings.length === 0 && n.kind === 'alarm' && (parsed.data.Message.length > RAW_KEEP_CHARS || trimmedForStorage(n))) {
        kept.push(
          `${base}.Message: an alarm message of ${parsed.data.Message.length} characters; the incident keeps its fields trimmed, this record the whole`,
        );
      }
      const at = rt.now().toISOString();
      const [outcome] = await Promise.all([
        processNotification(n, rt),
        ...kept.map((reason) => rt.store.putDeadLetter({ at, reason, source: 'sns', raw: parsed.data.Message })),
      ]);
      rt.logger.info('routed', {
        outcome: outcome.kind,
        incidentId: outcome.incidentId,
        alarmName: n.alarmName,
        state: n.state,
        severity: outcome.severity,
        messageId: n.sns?.messageId,
      });
      return outcome;
    }),
  );
  const done = outcomes.filter((o): o is Outcome => o !== null);
  const failed = done.filter((o) => o.retryableFailure).map((o) => o.incidentId ?? '?');
  if (failed.length > 0) throw new RetryableDeliveryFailure(failed);
  return { outcomes: done, deadLettered };
}
