import { z } from 'zod';
import { InputError } from '../errors';
import { formatPath } from '../parse';

// The webhook bodies' schemas use the full zod (only the webhook function loads these); the alarm path never does.

/** Validates a webhook body; the error names the path of the first problem (`data.metric_alert.id: ...`). */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = formatPath('', issue?.path ?? []);
  throw new InputError(path, `${issue?.message ?? 'invalid'} (${what})`);
}

/** A string record (labels, annotations), tolerating numbers and booleans, refusing nested objects. */
export const stringRecord = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.null()]).transform((v) => (v === null ? '' : String(v))),
);
