// zod/mini, as alarm-schema.ts: functions instead of methods, so the webhook bundle keeps only the validators used.
import { boolean, config, null as zNull, number, pipe, record, safeParse, string, transform, union, type output } from 'zod/mini';
import { en } from 'zod/locales';
import type { $ZodType } from 'zod/v4/core';
import { InputError } from '../errors';
import { formatPath } from '../parse';

// zod/mini has no messages until a locale is set. This module sets it itself: the package is `sideEffects: false`,
// so a bundle that takes only `formatPath` from ../parse drops alarm-schema.ts and the locale it sets.
config(en());

/** Validates a webhook body; the error names the path of the first problem (`data.metric_alert.id: ...`). */
export function parseWith<T extends $ZodType>(schema: T, value: unknown, what: string): output<T> {
  const r = safeParse(schema, value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = formatPath('', issue?.path ?? []);
  throw new InputError(path, `${issue?.message ?? 'invalid'} (${what})`);
}

/** A string record (labels, annotations), tolerating numbers and booleans, refusing nested objects. */
export const stringRecord = record(
  string(),
  pipe(
    union([string(), number(), boolean(), zNull()]),
    transform((v: string | number | boolean | null) => (v === null ? '' : String(v))),
  ),
);
